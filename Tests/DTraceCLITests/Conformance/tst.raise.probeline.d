/* raise() is a recorded action, as in DTrace: the firing prints its probe line. */
BEGIN
{
	raise(SIGINT);
}

END
{
}
