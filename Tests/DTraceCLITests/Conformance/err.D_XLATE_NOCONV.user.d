/* A member the translator leaves out cannot be read through it. */
struct out { int a; int b; };
translator struct out < int x > { a = x; };
BEGIN
{
	trace(xlate<struct out>(1).b);
}
