/* Speculations: records of a speculating clause wait until commit() prints them or
 * discard() drops them; with nspec=2 a third speculation() gets 0, which dtrace counts
 * as a failed speculation and reports at exit; speculate() on an id that is not active
 * ends its clause quietly. */
#pragma D option quiet
#pragma D option nspec=2

BEGIN
{
	s1 = speculation();
	s2 = speculation();
	s3 = speculation();
	printf("ids %d %d %d\n", s1, s2, s3);
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
	speculate(s2);
	printf("speculative two\n");
}

BEGIN
{
	discard(s2);
	printf("after discard %d\n", s2);
}

BEGIN
{
	speculate(7);
	printf("never\n");
}

BEGIN
{
	speculate(s3);
	printf("never either\n");
}

BEGIN
{
	exit(0);
}
