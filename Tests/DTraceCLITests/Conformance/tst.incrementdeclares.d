/*
 * ++ and -- declare a variable not yet assigned as an int64_t: a global, a self-> or
 * this-> variable alike.
 */
#pragma D option quiet

BEGIN
{
	printf("%d %d %d\n", count++, self->calls++, --this->left);
	printf("%d %d %d\n", sizeof (count), sizeof (self->calls), sizeof (this->left));
	exit(0);
}
