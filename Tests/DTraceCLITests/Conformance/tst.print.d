/* print() lays values out by type, as dtrace(1M) does: integers in hex, characters
 * quoted, strings and char arrays holding strings quoted, other arrays in brackets,
 * structs member by member (no newline after the closing brace), enums by name. */
#pragma D option quiet

struct bar {
	short s;
	char name[8];
};

struct foo {
	int a;
	char b;
	struct bar inner;
	long *p;
	unsigned char c[3];
};

enum color { RED, GREEN = 5 };

BEGIN
{
	x = 5;
	print(x);
	print(0);
	print("str");
	c = (char)65;
	print(c);
	c = (char)7;
	print(c);
	this->f = (struct foo *)alloca(sizeof (struct foo));
	this->f->a = 3;
	this->f->inner.s = -2;
	this->f->inner.name[0] = 'h';
	this->f->inner.name[1] = 'i';
	this->f->c[1] = 7;
	print(*this->f);
	printf("|\n");
	e = GREEN;
	print(e);
	print((enum color)3);
	exit(0);
}
