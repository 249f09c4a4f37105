/* specsize, as Oracle's DTrace applies it: a speculating clause whose data (with the
   16-byte record header) passes specsize ends at the action that passes it, counted as
   a speculative drop; a record its speculation has no room left for is dropped when it
   is buffered, counted the same way. */
#pragma D option quiet
#pragma D option specsize=31

BEGIN
{
	self->spec = speculation();
	n = 0;
}

/* 16 + 3 * 8 = 40 bytes */
BEGIN
{
	speculate(self->spec);
	printf("a %d\n", 1);
	n++;
	printf("a %d\n", 2);
	n++;
	printf("a %d\n", 3);
	n++;
}

/* 16 + 5 * 8 = 56 bytes */
BEGIN
{
	speculate(self->spec);
	printf("b %d\n", 1);
	n += 10;
	printf("b %d\n", 2);
	printf("b %d\n", 3);
	n += 10;
	printf("b %d\n", 4);
	printf("b %d\n", 5);
	n += 10;
}

BEGIN
{
	commit(self->spec);
}

BEGIN
{
	printf("n = %d\n", n);
	exit(0);
}
