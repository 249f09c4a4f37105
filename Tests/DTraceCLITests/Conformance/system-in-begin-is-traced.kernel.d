/*
 * system() in BEGIN runs its command once the other probes are enabled: the
 * command's own write() is traced. BEGIN's later output keeps its order.
 */
#pragma D option quiet
#pragma D option destructive

BEGIN
{
	printf("before\n");
	system("echo traced-write > /dev/null");
	printf("after\n");
}

BEGIN
{
	printf("second clause\n");
}

syscall::write:entry
/ppid == $pid && arg2 == 13/
{
	printf("%s wrote %d bytes\n", execname, arg2);
	exit(0);
}

tick-5s
{
	printf("the command's write was not traced\n");
	exit(1);
}
