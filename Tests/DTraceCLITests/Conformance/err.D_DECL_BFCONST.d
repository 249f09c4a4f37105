/*
 * A bit-field's width must be a positive constant.
 */
struct flags {
	int ok : 2;
	int none : 0;
} f;

BEGIN
{
	exit(0);
}
