/*
 * print() needs the size of what its pointer points to: a void pointer's is 0.
 */
BEGIN
{
	this->v = (void *)alloca(8);
	print(this->v);
	exit(0);
}
