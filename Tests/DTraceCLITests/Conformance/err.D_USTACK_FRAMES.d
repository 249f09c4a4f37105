/* ustack() shows at least one frame. */
BEGIN
{
	ustack(0);
}
