/*
 * -> applies to a pointer to a struct.
 */
long *q;

BEGIN
{
	trace(q->a);
}
