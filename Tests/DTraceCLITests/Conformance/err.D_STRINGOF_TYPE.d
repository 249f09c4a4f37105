/* stringof() takes a scalar, a pointer or a string. */
struct pair { int first; int second; } both;

BEGIN
{
	trace(stringof(both));
}
