/* printa()'s conversions take the keys; %@ takes the value. A key-less aggregation
 * leaves %u without one. */
BEGIN
{
	@total = count();
	printa("%u\n", @total);
}
