#pragma D option quiet
int total;
BEGIN
{
	total = 3;
	self->depth = 2;
	this->local = 5;
	a["x", 1] = 10;
	a["y", 2] = 20;
	total += a["x", 1] + a["y", 2] + self->depth * this->local;
	printf("%d %d %d\n", total, a["missing", 0], (char)300);
	i = 7; i++; ++i; i <<= 2;
	printf("%d %d %d %d\n", i, 7 / 2, -7 % 3, 1 ? 2 : 3);
	exit(3);
}
