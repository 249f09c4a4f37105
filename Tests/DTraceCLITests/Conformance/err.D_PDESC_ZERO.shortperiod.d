/* A tick or profile probe's period is at least 200 microseconds: a shorter one is no probe. */
tick-199us
{
	exit(0);
}
