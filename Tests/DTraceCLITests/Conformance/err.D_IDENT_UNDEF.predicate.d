/*
 * An unknown name in a predicate is reported on its own line (operator errors name
 * the line after the predicate).
 */
BEGIN
/missing > 1/
{
	exit(0);
}
