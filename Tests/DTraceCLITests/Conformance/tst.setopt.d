/*
 * setopt() changes the aggregation sort options while tracing, through the same checks
 * as -x and #pragma D option; an option that does not exist, or a bad value, changes
 * nothing and is an error of the firing (tracing goes on).
 */
#pragma D option quiet

BEGIN
{
	@n["b"] = sum(1);
	@n["a"] = sum(2);
	@n["c"] = sum(3);
	printa("%s %@d\n", @n);
	setopt("aggsortrev");
	printa("%s %@d\n", @n);
	setopt("aggsortkey");
	printa("%s %@d\n", @n);
	setopt("nosuchoption");
	setopt("aggsortpos", "not a number");
	printa("%s %@d\n", @n);
	exit(0);
}
