/*
 * A syntax error at an identifier DTrace's lexer peeked past (to tell a type name from
 * a variable) shows the rest of that line: the peek leaves the lexer's token text
 * unterminated, and the message crops it at the newline.
 */
BEGIN
{
	trace(offsetof(no_such_type_t, member));
}
