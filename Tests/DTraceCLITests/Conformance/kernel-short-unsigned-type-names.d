/* The kernel's short unsigned names (uint, u_int, ushort, ulong, unchar, u_char...) are types. */
#pragma D option quiet
BEGIN
{
	printf("%d %d %d %d\n", (uint)-12345, (u_int)2, (ushort)-3, (ulong)-4);
	printf("%d %d %d %d %d %d %d %d\n", sizeof(unchar), sizeof(ushort), sizeof(uint), sizeof(ulong), sizeof(u_char), sizeof(u_short), sizeof(u_int), sizeof(u_long));
	exit(0);
}
