/*
 * copyinstr() reads at most strsize bytes with the NUL, as Oracle's DTrace: a larger
 * size is capped at strsize, a smaller one counts the NUL too.
 */
#pragma D option quiet
#pragma D option destructive
#pragma D option strsize=12

BEGIN
{
	system("printf 'Delay in ns needed' > /dev/null");
}

syscall::write:entry
/ppid == $pid && arg2 == 18/
{
	printf("'%s'\n", copyinstr(arg1, 96));
	printf("'%s'\n", copyinstr(arg1, 8));
	printf("'%s'\n", copyinstr(arg1));
	exit(0);
}

tick-5s
{
	printf("the write was not traced\n");
	exit(1);
}
