/* A compound assignment reads its variable: it must exist before. */
BEGIN
{
	self->total += 5;
}
