/*
 * setopt(): what cannot be set is an error of the firing and tracing goes on (an
 * unknown option, a bad value, an option fixed once tracing runs); name and value may
 * be strings computed when the clause runs.
 */
#pragma D option quiet

BEGIN
{
	setopt("nosuchoption");
	setopt("quiet", "perhaps");
	setopt("bufsize", "2m");
	@[3] = sum(30);
	@[1] = sum(10);
	@[2] = sum(20);
	printa("%d %@d\n", @);
	option = strjoin("aggsort", "rev");
	setopt(option);
	printa("%d %@d\n", @);
	setopt("aggsortrev", strjoin("of", "f"));
	setopt("aggsortkey", substr("1x", 0, 1));
	printa("%d %@d\n", @);
	exit(0);
}
