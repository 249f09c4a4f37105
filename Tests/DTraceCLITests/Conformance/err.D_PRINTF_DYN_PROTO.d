/* A * width and a .* precision each take an integer argument; a missing one is named. */
BEGIN
{
	printf("%s %*.*d\n", "x", 4);
}
