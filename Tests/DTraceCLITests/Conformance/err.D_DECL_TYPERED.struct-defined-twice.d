/*
 * A struct defined a second time is refused at the second definition's "{", as
 * DTrace's grammar refuses it there, whatever follows.
 */
struct point {
	int x;
};

struct point {
	int y
}

BEGIN
{
	exit(0);
}
