/* A predicate is a scalar; DTrace names the clause's last line. */
struct pair { int a, b; } p;
BEGIN
/p/
{
	exit(0);
}
