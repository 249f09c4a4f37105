/*
 * A macro argument written as an integer too big for 64 bits is refused (its
 * digits named), as DTrace's lexer refuses it; +5 is the number 5.
 */
BEGIN
{
	trace($2 + $1);
}
