/*
 * xlate needs a translator from the operand's type to the output type.
 */
struct in { int i; };
struct other { int j; };
struct out { int o; };

translator struct out < struct in *I > {
	o = I->i;
};

struct other value;

BEGIN
{
	trace(xlate<struct out>(value).o);
}
