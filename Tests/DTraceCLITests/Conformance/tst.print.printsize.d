/*
 * The printsize option limits the bytes print() shows (rounded up to a multiple of 8):
 * where the next value starts past them the walk writes "..." and closes its braces.
 * setopt() changes it while tracing.
 */
#pragma D option quiet
#pragma D option printsize=5

struct layers {
	long first;
	struct {
		int second;
		int third;
		struct {
			long fourth;
		} deeper;
	} middle;
	long fifth;
};

BEGIN
{
	this->l = (struct layers *)alloca(sizeof (struct layers));
	this->l->first = 1;
	this->l->middle.second = 2;
	this->l->middle.third = 3;
	this->l->middle.deeper.fourth = 4;
	this->l->fifth = 5;
	print(this->l);
	setopt("printsize", "20");
	print(this->l);
	setopt("printsize", "0");
	print(this->l);
	exit(0);
}
