/*
 * A string's characters cannot be assigned.
 */
BEGIN
{
	s = "dtrace";
	s[0] = 'D';
}
