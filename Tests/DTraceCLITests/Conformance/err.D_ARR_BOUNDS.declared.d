/* A constant index past a declared array's end. */
int a[5];

BEGIN
{
	a[5] = 1;
}
