/* A macro variable is a value, not an lvalue: ++ cannot change it. */
BEGIN
{
	$pid++;
}
