/* A freopen() whose file cannot be opened is an error of the firing (on standard error)
 * and changes nothing: the output stays where it was, and tracing goes on. freopen("")
 * when the output was never moved does nothing. Needs -w. */
#pragma D option quiet
BEGIN
{
	freopen("..");
	freopen("%s", "/");
	printf("here\n");
	freopen("");
	printf("still here\n");
	exit(0);
}
