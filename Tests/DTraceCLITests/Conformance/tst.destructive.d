/* A destructive action without -w: tracing is not enabled. */
BEGIN
{
	system("echo never");
}
