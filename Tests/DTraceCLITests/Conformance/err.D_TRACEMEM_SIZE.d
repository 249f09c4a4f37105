/* tracemem() copies a constant, positive number of bytes. */
BEGIN
{
	tracemem(0, -8);
}
