/*
 * A bit-field has no address.
 */
struct flags {
	unsigned int ready : 1;
} f;

BEGIN
{
	trace(&f.ready);
}
