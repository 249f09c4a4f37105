/* An inline is typed where it is defined: it cannot use itself. */
inline int depth = depth * 2;
BEGIN
{
	exit(0);
}
