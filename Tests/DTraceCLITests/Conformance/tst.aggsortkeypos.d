/* aggsortkeypos: sorting by key starts at the given position (here the second key),
 * then the other positions in order. */
#pragma D option quiet
#pragma D option aggsortkey
#pragma D option aggsortkeypos=1
BEGIN
{
	@[1, "c"] = count();
	@[2, "a"] = count();
	@[3, "b"] = count();
	@[0, "b"] = count();
	exit(0);
}
