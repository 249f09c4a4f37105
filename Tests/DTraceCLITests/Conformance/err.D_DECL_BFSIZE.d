/*
 * A bit-field wider than its type.
 */
struct flags {
	short low : 4;
	short wide : 17;
} f;

BEGIN
{
	exit(0);
}
