/* DTrace's conversions have no %lf (nor %F): only %f and %Lf. */
double d;
BEGIN
{
	printf("%lf\n", d);
}
