/* trace() of data that is not a string (a struct, an array) shows its bytes. */
struct point {
	int x;
	int y;
} p;
BEGIN
{
	p.x = 0x41424344;
	p.y = -1;
	trace(p);
	exit(0);
}
