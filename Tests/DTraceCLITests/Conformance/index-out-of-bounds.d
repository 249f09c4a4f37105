/*
 * A declared array indexed outside its bounds at run time faults as DTrace's
 * "index out of bounds", naming the index; ERROR gets DTRACEFLT_BADINDEX.
 */
#pragma D option quiet

int a[5];

BEGIN
{
	i = 7;
	a[i] = 1;
	printf("not reached\n");
}

ERROR
{
	printf("fault %d (BADINDEX %d), value %d\n", arg4, DTRACEFLT_BADINDEX, arg5);
	exit(0);
}
