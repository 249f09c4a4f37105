/*
 * An action has no value to choose.
 */
BEGIN
{
	timestamp > 0 ? printf("a") : printf("b");
}
