/*
 * A predicate that ends while a bracket is open (said on the line after its "/").
 */
BEGIN
/x[1/
{
	exit(0);
}
