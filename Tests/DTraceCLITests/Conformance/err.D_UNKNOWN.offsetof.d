/*
 * offsetof() of a member the struct lacks.
 */
struct pair { int a; int b; };

BEGIN
{
	trace(offsetof(struct pair, c));
}
