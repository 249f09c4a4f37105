/*
 * A closing parenthesis with none open.
 */
BEGIN
{
	trace(1));
}
