/*
 * print() takes exactly one argument.
 */
BEGIN
{
	this->p = (int *)alloca(4);
	print(this->p, 1);
	exit(0);
}
