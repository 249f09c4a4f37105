/*
 * A constant alloca() size past the default scratchsize (256 bytes) is refused when
 * the program is compiled; -1 reads as the unsigned size it is.
 */
BEGIN
{
	ptr = alloca(10);
	ptr = alloca(0xffffffffffffffff);
	exit(0);
}
