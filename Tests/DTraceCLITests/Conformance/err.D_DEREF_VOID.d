/*
 * A void pointer points at nothing D can read.
 */
void *p;

BEGIN
{
	trace(*p);
}
