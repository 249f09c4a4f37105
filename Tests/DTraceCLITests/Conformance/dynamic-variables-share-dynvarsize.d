/* Every dynamic variable counts against one dynvarsize, as in DTrace's single map of
   them: a thread-local int takes 4 bytes (no key tuple), so 15 bytes hold three; storing
   0 deletes one and makes room; the fourth live one is a drop that ends its clause. */
#pragma D option quiet
#pragma D option dynvarsize=15

BEGIN
{
	self->a = 1;
	self->b = 2;
	self->c = 3;
	self->a = 0;
	self->d = 4;
	printf("%d %d %d %d\n", self->a, self->b, self->c, self->d);
}

BEGIN
{
	self->e = 5;
	printf("not reached\n");
}

BEGIN
{
	exit(0);
}
