/* The pragma is read where it stands, even inside a declaration. */
inline int limit
#pragma D attributes Solid/Stable/Common limit
= 4;
BEGIN
{
	exit(0);
}
