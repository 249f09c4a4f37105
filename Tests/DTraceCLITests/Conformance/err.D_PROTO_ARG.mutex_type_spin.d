/* mutex_type_spin takes a struct mutex *, not an integer. */
BEGIN
{
	mutex_type_spin(arg0);
}
