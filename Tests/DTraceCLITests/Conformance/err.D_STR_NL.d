/* A newline inside a string literal is named on the line after it. */
BEGIN
{
	s = "one
	two";
}
