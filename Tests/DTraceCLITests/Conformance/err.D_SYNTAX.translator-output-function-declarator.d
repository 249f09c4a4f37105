/*
 * A translator's output type may go on, in DTrace's grammar, with an abstract function
 * declarator: "(struct in *p)" after it is read as one, and the error is the "<" that
 * should then follow, not the "(".
 */
struct in { int i; };
struct out { int o; };

translator struct out (struct in *p)
{
	o = p->i;
};
