/*
 * The clauses enabled on one tick probe run as one firing, in program order: each sees
 * what the clauses before it did in the same firing, never a firing of its own.
 */
#pragma D option quiet

int mismatches;

tick-1ms
{
	n++;
	this->seen = n;
}

tick-1ms
{
	m++;
	mismatches += this->seen != n || m != n;
}

tick-1ms
/n == 300/
{
	printf("%d firings, %d and %d counted, %d mismatches\n", n, n, m, mismatches);
	exit(0);
}
