/*
 * timestamp is read once per firing, as in DTrace: every read in a clause sees the
 * same time; another firing sees a later one. walltimestamp advances at every read.
 */
#pragma D option quiet

uint64_t last;

tick-1ms
/n++ < 3/
{
	this->a = timestamp;
	this->w = walltimestamp;
	printf("%d %d %d\n", timestamp - this->a, walltimestamp > this->w, this->a > last);
	last = this->a;
}

tick-1ms
/n > 3/
{
	exit(0);
}
