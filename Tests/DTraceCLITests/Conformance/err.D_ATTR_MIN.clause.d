/* amin: a probe description less stable than the minimum (BEGIN, Unstable) is refused
   at the clause's last line. */
#pragma D option amin=Evolving/Evolving/Common

BEGIN
{
	exit(0);
}
