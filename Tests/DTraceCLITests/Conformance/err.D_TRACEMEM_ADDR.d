/* tracemem() copies from a pointer or an integer address, not a struct. */
struct pair { int first; int second; } both;

BEGIN
{
	tracemem(both, 8);
}
