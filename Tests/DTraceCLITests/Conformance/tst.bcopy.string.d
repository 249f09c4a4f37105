/* bcopy() takes a string as the pointer to its bytes; the destination is alloca()
 * memory, reached through casts and pointer arithmetic. */
BEGIN
{
	buf = (char *)alloca(16);
	bcopy("dtrace", (void *)(buf + 2), 7);
	buf[0] = '<';
	buf[1] = '-';
	printf("%s\n", stringof(buf));
	exit(0);
}
