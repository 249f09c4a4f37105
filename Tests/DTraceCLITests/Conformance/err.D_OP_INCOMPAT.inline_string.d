/* An integer inline cannot stand for a string. */
inline long limit = "many";
BEGIN
{
	exit(0);
}
