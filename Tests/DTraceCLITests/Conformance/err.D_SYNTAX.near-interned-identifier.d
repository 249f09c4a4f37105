/*
 * An identifier the lexer already took for a variable (an earlier use followed by
 * ";", "=", "[", "++", "--" or a "," outside parentheses) is not peeked past again:
 * the message shows it alone. A member name after "->" is not peeked past either.
 */
int counted;

BEGIN
{
	counted = 1;
	this->x = 2;
	y = counted counted;
}
