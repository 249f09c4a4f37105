/* aggsize holds two keys of strsize bytes on a CPU; trunc() gives their room back
   (when dtrace has read it: switchrate), so the next two keys are kept, not dropped. */
#pragma D option quiet
#pragma D option switchrate=20hz
#pragma D option strsize=512
#pragma D option aggsize=1100

int i;

tick-50ms
/++i == 1/
{
	@["Harding"] = count();
	@["Hoover"] = count();
}

tick-50ms
/i == 3/
{
	trunc(@);
}

tick-50ms
/i == 10/
{
	@["Nixon"] = count();
	@["Bush"] = count();
}

tick-50ms
/i == 12/
{
	exit(0);
}
