/*
 * Clause-local variables are never associative arrays.
 */
BEGIN
{
	this->seen["a"] = 1;
}
