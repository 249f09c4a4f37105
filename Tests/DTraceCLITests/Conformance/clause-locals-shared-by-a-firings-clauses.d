/*
 * this-> variables are shared by the clauses of one probe firing, in program
 * order; each firing starts with them at zero.
 */
#pragma D option quiet

this int foo;
this struct { int x; char c; } pair;
int firings;

tick-10ms
/firings < 3/
{
	printf("firing %d: clause 1 starts with foo=%d pair.x=%d\n", firings, this->foo, this->pair.x);
	this->foo = 10 * (firings + 1);
	this->pair.x = firings;
	this->pair.c = 'a' + firings;
	this->implicit = "set in clause 1";
}

tick-10ms
/firings < 3/
{
	printf("firing %d: clause 2 sees foo=%d pair=%d/%c %s\n", firings, this->foo++, this->pair.x, this->pair.c, this->implicit);
}

tick-10ms
/firings < 3 && this->foo == 10 * (firings + 1) + 1/
{
	printf("firing %d: clause 3 sees the increment\n", firings);
	firings++;
}

tick-10ms
/firings == 3/
{
	exit(0);
}
