/* chill() takes an integer, checked before the action is refused. */
BEGIN
{
	chill("long");
}
