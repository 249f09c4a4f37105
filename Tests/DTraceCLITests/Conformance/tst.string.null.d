/* NULL stands for a char *: reading it faults when the clause runs. */
BEGIN
{
	trace(strlen(NULL));
	exit(0);
}
ERROR
{
	printf("fault %d at 0x%x\n", arg4, arg5);
	exit(1);
}
