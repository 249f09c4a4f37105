/* copyinto() writes only into alloca() memory. */
BEGIN
{
	copyinto(arg0, 4, 16);
}
