/*
 * offsetof() of a bit-field is refused.
 */
struct flags {
	int kind : 3;
	int count : 9;
};

BEGIN
{
	trace(offsetof(struct flags, count));
}
