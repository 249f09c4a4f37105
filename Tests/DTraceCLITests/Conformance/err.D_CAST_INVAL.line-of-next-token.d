/*
 * DTrace's grammar builds a cast when it reads the token after the cast's operand: a
 * statement without its ";" ends at the "}" of the next line, and the cast's error
 * names that line.
 */
struct in {
	int i;
};

struct out {
	int o;
};

translator struct out < struct in *p >
{
	o = p->i;
};

struct in *f;

BEGIN
{
	x = (uintptr_t)xlate<struct out *>(f)
}
