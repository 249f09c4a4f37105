/* An inline with parameters takes as many keys as it has parameters. */
inline int sum2[int x, int y] = x + y;

BEGIN
{
	trace(sum2[1]);
}
