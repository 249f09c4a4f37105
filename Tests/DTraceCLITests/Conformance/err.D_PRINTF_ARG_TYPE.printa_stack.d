/* A stack key prints with %k, not as a number. */
BEGIN
{
	@[ustack()] = count();
	printa("%x %@d\n", @);
}
