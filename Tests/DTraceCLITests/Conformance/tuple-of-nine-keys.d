/*
 * Nine keys fit DTrace's tuple registers (the next case: ten do not), for
 * associative arrays, thread-local arrays and aggregations alike.
 */
#pragma D option quiet

BEGIN
{
	a[1, 2, 3, 4, 5, 6, 7, 8, 9] = 45;
	self->b[1, 2, 3, 4, 5, 6, 7, 8, 9] = 46;
	@c[1, 2, 3, 4, 5, 6, 7, 8, 9] = sum(47);
	printf("%d %d\n", a[1, 2, 3, 4, 5, 6, 7, 8, 9], self->b[1, 2, 3, 4, 5, 6, 7, 8, 9]);
	exit(0);
}
