/*
 * Thread-local associative arrays (self->name[key...]), as the DTraceToolkit's scripts
 * use them (self->exclude[self->depth]): per thread, keyed by any scalars and strings,
 * 0 (a string NULL) where unset, deleted by assigning 0; readable in a clause before the
 * one that assigns them.
 */
#pragma D option quiet

END
/self->seen["BEGIN", 1] == 1/
{
	printf("end %d %d %d\n", self->seen["BEGIN", 1], self->depth, self->exclude[self->depth]);
}

BEGIN
/self->exclude[1] == 0/
{
	printf("not yet\n");
}

BEGIN
{
	self->depth = 2;
	self->exclude[self->depth] = 7;
	self->exclude[1] = 3;
	self->exclude[1] = 0;
	self->seen[probename, 1] = 1;
	self->label[self->depth] = "two";
	printf("%d %d %s %d\n", self->exclude[2], self->exclude[1], self->label[2], self->label[3] == NULL);
	exit(0);
}
