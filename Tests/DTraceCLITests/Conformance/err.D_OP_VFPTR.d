/* Stepping a pointer needs its pointee's size, and an integer step. */
long n;
BEGIN
{
	n += (void *)alloca(8);
}
