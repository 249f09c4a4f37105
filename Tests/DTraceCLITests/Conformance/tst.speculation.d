/* Speculations: records of a speculating clause wait until commit() prints them or
 * discard() drops them; with nspec=1 a second speculation() gets 0 until the first
 * is committed; speculate() on an id that is not active is an illegal operation. */
#pragma D option quiet

BEGIN
{
	s1 = speculation();
	s2 = speculation();
	printf("ids %d %d\n", s1, s2);
}

BEGIN
{
	speculate(s1);
	printf("speculative one\n");
}

BEGIN
{
	printf("plain\n");
}

BEGIN
{
	commit(s1);
}

BEGIN
{
	s3 = speculation();
	speculate(s3);
	printf("speculative two\n");
}

BEGIN
{
	discard(s3);
	printf("after discard %d\n", s3);
}

BEGIN
{
	speculate(7);
	printf("never\n");
}

BEGIN
{
	exit(0);
}
