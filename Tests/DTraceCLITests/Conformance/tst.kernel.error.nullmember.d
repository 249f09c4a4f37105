/* A member read through a NULL kernel pointer faults on the pointer: address 0. */
#pragma D option quiet

ERROR
{
	printf("%d %x\n", arg4, arg5);
	exit(0);
}

BEGIN
{
	trace(((struct task_struct *)NULL)->pid);
}
