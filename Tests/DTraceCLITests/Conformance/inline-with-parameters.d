/*
 * An inline with named parameters is used as an associative array: its value with
 * the parameters bound to the keys (converted to the parameters' types).
 */
#pragma D option quiet

inline int sum2[int x, int y] = x + y;
inline string pick[int n] = n > 0 ? "positive" : "not positive";
inline char low[int v] = v;

BEGIN
{
	printf("%d %d %s %s %d\n", sum2[10, 20], sum2[sum2[1, 2], 3], pick[5], pick[-5], low[0x141]);
	exit(0);
}
