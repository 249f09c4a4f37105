/*
 * DTrace acts on a declaration as it parses it: a struct whose member is of a struct
 * not yet defined is refused at once, before a syntax error further on is read.
 */
struct outer {
	struct inner in;
	int count;
};

struct inner {
	int value;
};

BEGIN
/(1 != 2)
    (3 != 4)/
{
	exit(0);
}
