/*
 * . applies to a struct, not a pointer to one.
 */
struct pair { int a; int b; };
struct pair *p;

BEGIN
{
	trace(p.a);
}
