/*
 * Both arms of a ?: are compiled before the ?: is checked: trace() without its
 * argument is a prototype mismatch before it is an action in a conditional context.
 */
BEGIN
{
	c = 1 ? printf("error\n") : trace();
	exit(0);
}
