/* A declared array is not assigned whole. */
int from[4];
int to[4];
BEGIN
{
	to = from;
}
