/* Thread-local variables have no key in the dynamic variable space: an int fits in five bytes. */
#pragma D option dynvarsize=5
#pragma D option quiet

BEGIN
{
	self->a = 1;
	self->b = 0;
	printf("%d %d\n", self->a, self->b);
	exit(0);
}
