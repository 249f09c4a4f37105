/* args is an array: named alone it is refused. */
BEGIN
{
	trace(args);
}
