/* specsize (-x specsize=60): each record fits alone (40 and 32 bytes), but the second finds
   its speculation with too little room left: it is dropped, a speculative drop, while its
   clause runs to its end. */
#pragma D option quiet

BEGIN
{
	spec = speculation();
	speculate(spec);
	printf("first %d %d %d\n", 1, 2, 3);
}

BEGIN
{
	speculate(spec);
	printf("second %d %d\n", 4, 5);
	ran = 1;
}

BEGIN
{
	commit(spec);
}

BEGIN
{
	printf("second clause ran: %d\n", ran);
	exit(0);
}
