/* aggsize holds one key of strsize bytes (the pragma sizes every string of the
   program): the other three are aggregation drops, reported on their CPU and, with
   droptags, tagged as DTrace tags them. */
#pragma D option quiet
#pragma D option strsize=512
#pragma D option aggsize=1024

BEGIN
{
	@["Harding"] = count();
	@["Hoover"] = count();
	@["Nixon"] = count();
	@["Bush"] = count();
}

BEGIN
{
	exit(0);
}
