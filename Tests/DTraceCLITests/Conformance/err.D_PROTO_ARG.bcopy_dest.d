/* bcopy() writes only into alloca() memory. */
char *dest;
BEGIN
{
	bcopy("abc", dest, 3);
}
