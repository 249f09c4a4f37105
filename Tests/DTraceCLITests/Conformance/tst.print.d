/*
 * print() of a pointer to a struct in alloca() memory, as Oracle's DTrace prints it: the
 * pointer, then the struct 44 spaces in, a member a line (one more space a level), nested
 * structs and unions in braces, arrays in brackets, enums by name, bools and integers as
 * numbers, chars quoted; members that are zero are left out, and so are a char array's
 * characters from its first NUL on.
 */
#pragma D option quiet

enum shade { PALE, MEDIUM = 4, DEEP };

struct sample {
	short delta;
	char label[6];
	long unused;
	struct {
		unsigned int count;
		int *where;
	} stats;
	union {
		uint32_t word;
		unsigned char bytes[4];
	} raw;
	bool seen;
	enum shade tone;
	long long total;
};

BEGIN
{
	this->s = (struct sample *)alloca(sizeof (struct sample));
	this->s->delta = -300;
	this->s->label[0] = 'c';
	this->s->label[1] = 'u';
	this->s->label[2] = 'p';
	this->s->label[4] = 'x';
	this->s->stats.count = 3000000000;
	this->s->stats.where = (int *)0xdead0;
	this->s->raw.word = 0x41424300;
	this->s->seen = 1;
	this->s->tone = DEEP;
	this->s->total = -1234567890123;
	print(this->s);
	printf("--\n");
	print(&this->s->stats);
	exit(0);
}
