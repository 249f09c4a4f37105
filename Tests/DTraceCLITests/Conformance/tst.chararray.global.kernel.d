/* A kernel char array assigned to a variable is copied from kernel memory. */
BEGIN
{
	name = curthread->comm;
	printf("%s\n", name);
	exit(0);
}
