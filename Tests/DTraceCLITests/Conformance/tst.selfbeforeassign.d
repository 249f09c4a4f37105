/*
 * A thread-local read in a clause that comes before the clause assigning it (a predicate
 * like /self->ts/ ahead of the entry probe's clause, as many scripts are written) takes
 * its type from that assignment and reads 0 (a string NULL) until it is set.
 */
#pragma D option quiet

END
/self->n == 1/
{
	printf("end %s %d\n", self->who, self->n);
}

BEGIN
/self->n == 0/
{
	printf("%d %d\n", self->who == NULL, self->n);
}

BEGIN
{
	self->n = 1;
	self->who = probename;
	exit(0);
}
