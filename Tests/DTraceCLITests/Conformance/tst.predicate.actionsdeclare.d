/*
 * DTrace cooks a clause's actions before its predicate: a variable its actions assign
 * is known to the predicate (0 until assigned), with the type the actions give it.
 */
#pragma D option quiet

tick-1ms
/n < 3 && name != "x"/
{
	n++;
	name = "y";
	printf("%d %d\n", n, sizeof(n));
}

tick-1ms
/n == 3/
{
	exit(0);
}
