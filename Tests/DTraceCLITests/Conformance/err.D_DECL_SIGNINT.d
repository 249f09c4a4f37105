/*
 * signed and unsigned apply to integers only.
 */
signed enum colour { RED } c;

BEGIN
{
	exit(0);
}
