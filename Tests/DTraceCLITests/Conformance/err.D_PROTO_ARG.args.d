/* args[] takes an integer subscript. */
BEGIN
{
	trace(args["first"]);
}
