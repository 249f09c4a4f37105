/*
 * print() shows the top-level value even when it is zero (a struct as its braces alone,
 * an integer as 0); below it, zero members, zero arrays and zero nested structs are left
 * out, an enum whose value is 0 too.
 */
#pragma D option quiet

enum level { NONE, SOME };

struct empty_ish {
	int a;
	char name[4];
	struct {
		long x;
	} inner;
	enum level lvl;
	uint16_t port;
};

BEGIN
{
	this->e = (struct empty_ish *)alloca(sizeof (struct empty_ish));
	print(this->e);
	this->e->port = 8080;
	print(this->e);
	this->i = (int *)alloca(sizeof (int));
	print(this->i);
	this->c = (char *)alloca(1);
	*this->c = 'Z';
	print(this->c);
	exit(0);
}
