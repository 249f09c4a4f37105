/* A negative constant index is a huge unsigned one. */
short a[3];

BEGIN
{
	trace(a[-1]);
}
