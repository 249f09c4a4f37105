/* Attributes for a name the program never declares. */
inline int depth = 3;
#pragma D attributes Stable/Stable/Common deepness
BEGIN
{
	exit(0);
}
