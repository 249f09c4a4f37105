/*
 * speculate() comes before anything is recorded.
 */
BEGIN
{
	trace(timestamp);
	speculate(1);
}
