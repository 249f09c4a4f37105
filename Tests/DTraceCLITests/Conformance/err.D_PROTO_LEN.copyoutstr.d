/* copyoutstr takes a string, an address and a size. */
BEGIN
{
	copyoutstr("bytes", 0);
}
