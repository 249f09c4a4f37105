/*
 * copyin() and copyinto() with a size known only at run time, in a kernel probe:
 * the write() of a command system() runs (in BEGIN, so the probe is enabled).
 */
#pragma D option quiet
#pragma D option destructive

BEGIN
{
	system("printf copyin-runtime-size > /dev/null");
}

syscall::write:entry
/ppid == $pid && arg2 == 19/
{
	n = arg2 - 7;
	this->p = (char *)copyin(arg1, n);
	printf("%c%c%c...%c\n", this->p[0], this->p[1], this->p[2], this->p[n - 1]);
	this->q = (char *)alloca(16);
	copyinto(arg1 + 7, n - 8, this->q + 2);
	printf("%c%c%c%c\n", this->q[2], this->q[3], this->q[4], this->q[5]);
	exit(0);
}

tick-5s
{
	printf("the write was not traced\n");
	exit(1);
}
