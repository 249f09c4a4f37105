/*
 * A union cannot contain itself; while it is being defined it is named a union.
 */
union node {
	union node inner;
	long value;
};

BEGIN
{
	exit(0);
}
