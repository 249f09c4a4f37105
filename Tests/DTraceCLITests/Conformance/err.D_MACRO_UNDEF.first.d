/* A missing $N is named before the call it stands in is checked. */
BEGIN
{
	trace($1, $2);
}
