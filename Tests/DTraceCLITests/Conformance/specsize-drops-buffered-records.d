/* specsize (-x specsize=95): each clause's data fits, but the second record finds its
   speculation with too little room left (40 + 56 > 95): it is dropped, a speculative
   drop, while the clause itself runs to its end. */
#pragma D option quiet

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
