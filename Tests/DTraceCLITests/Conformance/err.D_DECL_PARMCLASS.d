/*
 * A parameter has no storage class.
 */
int total(extern int);

BEGIN
{
	exit(0);
}
