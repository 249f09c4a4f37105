/* system() runs its command when the record is consumed, in order with the other
 * output (the command's own output goes to dtrace's standard output). Needs -w. */
#pragma D option quiet
BEGIN
{
	printf("before\n");
	system("echo %s %d", "from the shell", 42);
	printf("after\n");
	exit(0);
}
