/*
 * A string that is a NULL pointer (strchr() and strstr() finding nothing) kept in a
 * global, a clause-local, a thread-local or an element of an associative array: comparing
 * it compares the pointers — NULL equals NULL and nothing else and is less than any
 * string — and never reads through it. Globals and thread-locals keep it for later
 * clauses; a variable assigned a string afterwards holds that string. A string variable
 * also takes NULL (or 0) itself.
 */
#pragma D option quiet

BEGIN
{
	g1 = strchr("abcdefghij", 'Z');
	g2 = strstr("ABCDEFGHIJ", "a");
	g3 = g1;
	this->l1 = strchr("abcdefghij", 'Z');
	this->l2 = strstr("ABCDEFGHIJ", "a");
	this->l3 = this->l1;
	self->t1 = strchr("abcdefghij", 'Z');
	self->t2 = strstr("ABCDEFGHIJ", "a");
	self->t3 = self->t1;
	a1[1234] = strchr("abcdefghij", 'Z');
	a2[1234] = strstr("ABCDEFGHIJ", "a");
	a3[1234] = a1[1234];
	printf("clause-locals %d %d %d %d\n", this->l1 == this->l2, this->l1 == this->l3, this->l1 == NULL, this->l1 != NULL);
}

BEGIN
{
	printf("globals %d %d %d %d\n", g1 == g2, g1 == g3, g1 == NULL, g1 != NULL);
	printf("thread-locals %d %d %d %d\n", self->t1 == self->t2, self->t1 == self->t3, self->t1 == NULL, self->t1 != NULL);
	printf("elements %d %d %d %d\n", a1[1234] == a2[1234], a1[1234] == a3[1234], a1[1234] == NULL, a1[1234] != NULL);
	printf("across %d %d\n", g1 == self->t1, self->t2 == a3[1234]);
	g4 = "abc";
	printf("against strings %d %d %d %d %d %d\n", g1 == "", g1 != "", g1 < g4, g4 > g1, g4 <= g1, g1 >= "");
	g1 = "def";
	self->t1 = "ghi";
	a1[1234] = "jkl";
	printf("assigned %s %s %s %d %d\n", g1, self->t1, a1[1234], g1 == NULL, g1 > g4);
}

BEGIN
{
	g1 = NULL;
	this->l1 = "mno";
	this->l1 = 0;
	self->t1 = NULL;
	a1[1234] = NULL;
	printf("assigned NULL %d %d %d %d %d\n", g1 == NULL, this->l1 == NULL, self->t1 == NULL, a1[1234] == NULL, g1 == g3);
	exit(0);
}

ERROR
{
	printf("unexpected fault %d at %d\n", arg4, arg5);
	exit(1);
}
