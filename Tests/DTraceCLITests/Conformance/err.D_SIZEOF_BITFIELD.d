/*
 * sizeof() of a bit-field is refused, before the printf format is looked at.
 */
struct flags {
	int kind : 3;
} f;

BEGIN
{
	printf("%d %z\n", sizeof(f.kind));
}
