/* copyout's destination is a uintptr_t (its source, a void *, may be a string). */
BEGIN
{
	copyout("bytes", "not an address", 5);
}
