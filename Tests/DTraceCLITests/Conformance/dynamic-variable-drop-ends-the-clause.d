/* dynvarsize holds one element: the second store is a dynamic variable drop, which
   ends the clause (the trace() after it does not run), as in DTrace. */
#pragma D option strsize=512
#pragma D option dynvarsize=1024

BEGIN
{
	a["Harding"] = 1;
	a["Hoover"] = 1;
	trace("not reached");
}

BEGIN
{
	trace(a["Harding"]);
	exit(0);
}
