/* freopen() moves what dtrace prints (printf() text, system()'s output) to the file its
 * text names, appending; freopen("") brings it back to standard output. The last
 * system() shows the file here and removes it (named after dtrace's pid: each run its own).
 * Needs -w. */
#pragma D option quiet
BEGIN
{
	printf("before\n");
	freopen("/tmp/dtrace-conformance-freopen.%d", pid);
	printf("into the file\n");
	system("echo the shell into the file");
}
BEGIN
{
	printf("still the file\n");
	freopen("");
	printf("after\n");
	system("cat /tmp/dtrace-conformance-freopen.%d; rm -f /tmp/dtrace-conformance-freopen.%d", pid, pid);
	exit(0);
}
