/*
 * A pragma option is one word.
 */
#pragma D option nspec=2 + 2

BEGIN
{
	exit(0);
}
