/*
 * Bitwise operators take integers only; a predicate's errors name the line after it.
 */
BEGIN
/execname | 1/
{
	exit(0);
}
