/*
 * Speculation ids as DTrace takes them: speculate() of 0, -1 or an id that is not active
 * ends its clause quietly (what ran before it stands, nothing after it runs); commit()
 * and discard() of 0 or of an inactive id up to nspec do nothing; an id is its low 32
 * bits (0x100000001 is speculation 1); commit() or discard() of an id above nspec (-1 is
 * 0xffffffff) is an illegal operation. Once the ERROR probe calls exit(), BEGIN's
 * remaining clauses do not run.
 */
#pragma D option quiet
#pragma D option nspec=4

BEGIN
{
	n = 1;
	speculate(0);
	n = 100;
}

BEGIN
{
	speculate(-1);
	n = 200;
}

BEGIN
{
	speculate(3456710);
	n = 300;
}

BEGIN
{
	speculate(3);
	n = 400;
}

BEGIN
{
	printf("n %d\n", n);
}

BEGIN
{
	commit(0);
	discard(4);
	commit(2);
}

BEGIN
{
	s = speculation();
}

BEGIN
{
	speculate(0x100000000 + s);
	printf("speculated on %d\n", s);
}

BEGIN
{
	printf("before commit\n");
}

BEGIN
{
	commit(s);
}

BEGIN
{
	commit(-1);
	n = 500;
}

BEGIN
{
	printf("n %d\n", n);
}

BEGIN
{
	discard(5);
}

BEGIN
{
	printf("not after exit\n");
}

ERROR
{
	printf("error %d, fault %d\n", ++errors, arg4);
}

ERROR
/errors == 2/
{
	exit(0);
}
