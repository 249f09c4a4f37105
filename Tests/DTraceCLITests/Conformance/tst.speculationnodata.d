/*
 * A clause that speculates and records nothing still records its firing: committed,
 * it shows the probe's line, as a clause with no statements does; discarded, nothing.
 * A clause that only commits or discards shows no line of its own.
 */
#pragma D option nspec=2

BEGIN
{
	s1 = speculation();
	s2 = speculation();
}

BEGIN
{
	speculate(s1);
}

BEGIN
{
	speculate(s1);
	n = 1;
}

BEGIN
{
	speculate(s2);
}

BEGIN
{
	commit(s1);
	discard(s2);
}

BEGIN
{
	exit(0);
}
