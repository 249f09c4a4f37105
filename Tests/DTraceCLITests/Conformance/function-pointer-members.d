/*
 * Pointers to functions as C declares them: `int (*fp)()` is a pointer member,
 * `int (*table[2])(int)` an array of two, in structs and as variables.
 */
#pragma D option quiet

struct ops {
	int (*open)(const char *, int);
	int (*table[2])(int);
	long count;
};

int (*handler)(void);

BEGIN
{
	printf("%d %d %d %d\n", sizeof(struct ops), offsetof(struct ops, table),
	    offsetof(struct ops, count), sizeof(handler));
	handler = 0;
	exit(0);
}
