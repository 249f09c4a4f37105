/* An action is a void expression: trace() cannot show it. */
BEGIN
{
	trace(exit(0));
}
