/* raise() in BEGIN signals dtrace itself: SIGINT ends tracing as ^C does; a number that is not a signal is an illegal operation. */
#pragma D option quiet
BEGIN
{
	raise(99);
}

BEGIN
{
	raise(2);
}

tick-5s
{
	printf("not raised\n");
	exit(1);
}

END
{
	printf("end\n");
}
