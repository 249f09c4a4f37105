/* An octal constant has no digit 8 or 9; the constant is named as written. */
BEGIN
{
	x = 0179UL;
}
