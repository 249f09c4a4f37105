/*
 * A run-time option's value is not negative (dtrace_setopt() reads it as a size).
 */
#pragma D option nspec=-72

BEGIN
{
	exit(0);
}
