/* A string does not step an integer variable: += is refused, though s + n steps a string. */
BEGIN
{
	i = 1;
	i += "two";
}
