/*
 * A name used after "->" is never peeked past, so it is not taken for a variable: the
 * same name met later on its own is peeked past, and the message shows the rest of its
 * line.
 */
BEGIN
{
	this->x = 1;
	y = this->x x;
}
