BEGIN
{
	trace(1);
	trace("hello");
	exit(0);
}
