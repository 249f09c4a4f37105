/*
 * A member a struct does not have, named as DTrace names it.
 */
struct pair { int first; int second; };
struct pair p;

BEGIN
{
	trace(p.third);
}
