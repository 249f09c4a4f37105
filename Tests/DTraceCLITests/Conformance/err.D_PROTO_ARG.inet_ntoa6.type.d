/* inet_ntoa6 takes a struct in6_addr * (or a void pointer), not an int *. */
int *p;

BEGIN
{
	trace(inet_ntoa6(p));
}
