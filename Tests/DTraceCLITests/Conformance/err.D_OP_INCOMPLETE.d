/*
 * -> on a pointer to a struct that is only declared.
 */
struct undeclared *p;

BEGIN
{
	trace(p->member);
}
