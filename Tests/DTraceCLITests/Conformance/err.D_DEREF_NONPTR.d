/*
 * Only pointers and arrays are dereferenced.
 */
BEGIN
{
	n = 4;
	trace(*n);
}
