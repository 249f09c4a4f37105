/* A declared array takes one subscript. */
long slots[8];
BEGIN
{
	slots[1, 2] = 3;
}
