/*
 * $0 is the script's name as -s gave it: not an integer or an identifier, so a
 * string (as Oracle's DTrace substitutes such macro arguments); $$0 the same.
 */
#pragma D option quiet

BEGIN
{
	printf("%s\n%s\n", $0, $$0);
	exit(0);
}
