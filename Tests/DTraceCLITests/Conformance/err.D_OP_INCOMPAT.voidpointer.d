/* A void pointer has no size to step by. */
void *p;
BEGIN
{
	trace(p - 2);
}
