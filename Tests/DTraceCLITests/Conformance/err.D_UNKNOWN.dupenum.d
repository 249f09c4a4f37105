/*
 * An enumerator named twice in one enum.
 */
enum state {
	IDLE,
	BUSY,
	IDLE
};

BEGIN
{
	exit(0);
}
