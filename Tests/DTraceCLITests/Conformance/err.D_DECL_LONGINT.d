/*
 * long applies to integers and floating point only.
 */
long union number { int i; } n;

BEGIN
{
	exit(0);
}
