/* %f takes a float, double or long double only: D converts no integer to them. */
BEGIN
{
	printf("%f\n", 1);
}
