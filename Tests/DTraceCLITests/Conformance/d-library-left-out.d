/* A library left out for its missing dependency declares nothing. */
BEGIN
{
	trace(left_out);
}
