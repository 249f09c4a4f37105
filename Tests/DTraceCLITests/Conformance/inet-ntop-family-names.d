/* inet_ntop()'s family written as AF_INET and AF_INET6 (int inlines, so a cast of a constant), in a clause with a predicate comparing with the same value. */
#pragma D option quiet
BEGIN
/AF_INET6 == 10/
{
	this->a = (uint64_t *)alloca(16);
	this->a[0] = htonll(0x20010db800000000); this->a[1] = htonll(0x00000000c0a80102);
	printf("%s %s\n", inet_ntop(AF_INET6, (void *)this->a), inet_ntop(AF_INET, (void *)this->a));
	exit(0);
}
