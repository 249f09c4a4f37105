/*
 * A struct definition missing its semicolon runs into the next type name.
 */
struct first {
	int a;
}
union second {
	int b;
};

BEGIN
{
	exit(0);
}
