/*
 * trace() prints an integer at its type's width and signedness, right-aligned in a
 * column as wide as the longest such number: 19 digits for a signed 64-bit value, 20
 * unsigned, 10 for 32 bits, 5 for 16, 3 for 8; a pointer is an unsigned 64-bit value.
 */
BEGIN
{
	trace((int64_t)-1);
	trace((uint64_t)-1);
	trace((int32_t)-2147483648);
	trace((uint32_t)-1);
	trace((int16_t)-1);
	trace((uint16_t)-1);
	trace((int8_t)-1);
	trace((uint8_t)-1);
	trace((void *)16);
	exit(0);
}
