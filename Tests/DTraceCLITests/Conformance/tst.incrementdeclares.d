/*
 * ++ and -- declare a variable not yet assigned: a global as an int, a self-> or
 * this-> variable as a 64-bit integer.
 */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d\n", count++, self->calls++, --this->left);
	printf("%d %d %d\n", sizeof (count), sizeof (self->calls), sizeof (this->left));
	exit(0);
}
