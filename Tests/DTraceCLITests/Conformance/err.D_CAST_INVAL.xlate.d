/*
 * A pointer to translated data is not an address a script may keep.
 */
struct in { int i; };
struct out { int o; };

translator struct out < struct in *I > {
	o = I->i;
};

struct in value;

BEGIN
{
	address = (uintptr_t)xlate<struct out *>(&value);
}
