/*
 * inet_ntoa6(address, strict): with strict (a constant other than 0) an embedded IPv4
 * address keeps its "::" or "::ffff:" prefix; without it, it prints alone.
 */
#pragma D option quiet

BEGIN
{
	this->a = (uint32_t *)alloca(16);
	this->a[3] = htonl(0x7f000001);
	printf("%s %s %s\n", inet_ntoa6((struct in6_addr *)this->a), inet_ntoa6((struct in6_addr *)this->a, 0),
	    inet_ntoa6((struct in6_addr *)this->a, 1));
	this->a[2] = htonl(0xffff);
	printf("%s %s\n", inet_ntoa6((struct in6_addr *)this->a), inet_ntoa6((struct in6_addr *)this->a, 7));
	exit(0);
}
