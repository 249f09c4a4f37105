/*
 * void in a prototype must stand alone.
 */
int lookup(char *, void);

BEGIN
{
	exit(0);
}
