/* amin takes name[/data[/class]] stability words only. */
BEGIN
{
	exit(0);
}
