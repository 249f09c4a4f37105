/* A struct has at least one member. */
struct nothing {
};
BEGIN
{
	exit(0);
}
