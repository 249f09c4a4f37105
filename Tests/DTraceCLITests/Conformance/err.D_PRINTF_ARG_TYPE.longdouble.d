/* %Lf takes a long double; a double is refused (plain %f takes either). */
double d;
BEGIN
{
	printf("%f %Lf\n", d, d);
}
