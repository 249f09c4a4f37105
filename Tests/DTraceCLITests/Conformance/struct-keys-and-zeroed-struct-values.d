/*
 * Structs and unions key associative arrays by value; a struct or union held in an
 * associative array or a thread-local is deleted by assigning 0.
 */
#pragma D option quiet

struct point {
	int x;
	char tag;
};

union word {
	int i;
	char c[4];
};

struct point p, q;
union word w;
this struct point v;

BEGIN
{
	p.x = 1; p.tag = 'a';
	q.x = 1; q.tag = 'a';
	seen[p] = 10;
	seen[q] += 5;
	printf("same contents, one element: %d\n", seen[p]);
	q.tag = 'b';
	seen[q] = 7;
	printf("different contents: %d and %d\n", seen[p], seen[q]);
	w.i = 0x41424344;
	byword[w, "w"] = 3;
	printf("union key: %d\n", byword[w, "w"]);

	this->v.x = 42;
	held[1] = this->v;
	held[2] = this->v;
	held[1] = 0;
	printf("kept: %d, deleted reads as zero: %d\n", held[2].x, held[1].x);
	self->point = this->v;
	printf("thread-local: %d\n", self->point.x);
	self->point = 0;
	printf("thread-local deleted: %d\n", self->point.x);
	exit(0);
}
