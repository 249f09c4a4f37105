/*
 * An array's dimensions cannot be a variable-length list.
 */
int values[...];

BEGIN
{
	exit(0);
}
