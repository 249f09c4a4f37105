/* printf() says which conversion a void argument does not fit. */
BEGIN
{
	printf("%d\n", trace(1));
}
