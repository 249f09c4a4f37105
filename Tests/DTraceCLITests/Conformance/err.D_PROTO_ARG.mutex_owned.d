/* mutex_owned takes a struct mutex *. */
BEGIN
{
	mutex_owned("lock");
}
