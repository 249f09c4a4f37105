BEGIN
{
	nonexistent_action();
}
