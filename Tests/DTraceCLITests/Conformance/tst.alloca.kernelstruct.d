/*
 * An alloca() pointer cast to a kernel structure's type still points into D's memory:
 * its members are written and read there, through variables of every scope.
 */
#pragma D option quiet

struct in6_addr *global;

BEGIN
{
	this->buffer = alloca(sizeof(struct in6_addr));
	global = this->buffer;
	global->in6_u.u6_addr8[0] = 0xfe;
	global->in6_u.u6_addr8[1] = 0x80;
	global->in6_u.u6_addr8[15] = 0x01;
	self->copy = (struct in6_addr *)this->buffer;
	printf("%x %x %s\n", self->copy->in6_u.u6_addr8[0], global->in6_u.u6_addr8[1], inet_ntoa6(global));
	exit(0);
}
