/* trace() records a value; an aggregation has none. */
BEGIN
{
	@n = count();
	trace(@n);
}
