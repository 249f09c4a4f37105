/*
 * print() takes a pointer (its prototype is void *): a struct itself is refused.
 */
struct point {
	int x;
	int y;
};

BEGIN
{
	this->p = (struct point *)alloca(sizeof (struct point));
	print(*this->p);
	exit(0);
}
