/*
 * A self-> variable of array type is indexed as an array (not as a thread-local
 * associative array): once it holds a value, its elements are read and written in place.
 */
#pragma D option quiet

this int staged[3];
self int saved[3];

BEGIN
{
	this->staged[1] = 5;
	self->saved = this->staged;
	self->saved[2] = self->saved[1] + 1;
	printf("%d %d %d\n", self->saved[0], self->saved[1], self->saved[2]);
	exit(0);
}
