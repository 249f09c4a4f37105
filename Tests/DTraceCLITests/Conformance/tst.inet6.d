/* inet_ntop(AF_INET6, ...) and inet_ntoa6(): DTrace's zero-run rules and IPv4 forms. */
#pragma D option quiet
BEGIN
{
	this->a = (uint64_t *)alloca(16);
	this->a[0] = htonll(0xfe80000000000000); this->a[1] = htonll(0x02144ffffe0b76c8);
	printf("%s %s\n", inet_ntop(10, (void *)this->a), inet_ntoa6((void *)this->a));
	this->a[0] = 0; this->a[1] = htonll(1);
	printf("%s\n", inet_ntop(10, (void *)this->a));
	this->a[1] = 0;
	printf("%s\n", inet_ntop(10, (void *)this->a));
	this->a[1] = htonll(0x0000ffffc0a80102);
	printf("%s %s\n", inet_ntop(10, (void *)this->a), inet_ntoa6((void *)this->a));
	this->a[1] = htonll(0x0000000001020304);
	printf("%s %s\n", inet_ntop(10, (void *)this->a), inet_ntoa6((void *)this->a));
	this->a[0] = htonll(0x0001000000020003); this->a[1] = htonll(0x0004000500060007);
	printf("%s\n", inet_ntop(10, (void *)this->a));
	this->a[0] = htonll(0x20010db800000000); this->a[1] = htonll(0x0001000000000001);
	printf("%s\n", inet_ntop(10, (void *)this->a));
	this->a[0] = htonll(0x0001000200030004); this->a[1] = htonll(0x0005000600070000);
	printf("%s\n", inet_ntop(10, (void *)this->a));
	this->a[0] = -1; this->a[1] = -1;
	printf("%s\n", inet_ntoa6((void *)this->a));
	exit(0);
}
