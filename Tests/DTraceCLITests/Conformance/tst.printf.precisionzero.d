/* A precision of 0 is no precision, as DTrace's printf reads it: %.0s prints it all. */
#pragma D option quiet

BEGIN
{
	printf("[%.0s] [%.*s] [%.2s] [%5.0s]\n", "hello", 0, "hello", "hello", "hi");
	exit(0);
}
