/*
 * An array's declared bounds are checked when it is indexed, not when a pointer cast
 * from it is: ((int *)a)[10] reads the global storage past a, which is zero here.
 */
#pragma D option quiet

int a[5];

BEGIN
{
	printf("%d\n", ((int *)a)[10]);
	exit(0);
}
