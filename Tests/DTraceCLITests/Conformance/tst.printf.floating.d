/* printf()'s %e %E %f %g %G print float, double and long double values as C's printf
 * does (a float widened to double; a long double through %L), with widths, precisions
 * and flags (a precision of 0 is none, as in DTrace: %+.0f is %+f). D computes with none
 * of them: the values here are zero-initialized variables and bit patterns stored through
 * integer pointers into alloca()'d memory. */
#pragma D option quiet

float f;
double d;
long double ld;

struct sample {
	char tag;
	float ratio;
	double mean;
	long double total;
};

BEGIN
{
	printf("[%f] [%e] [%g] [%E] [%G]\n", f, d, ld, f, d);

	this->pi = (double *)alloca(sizeof(double));
	*(uint64_t *)this->pi = 0x400921fb54442d18;
	printf("[%f] [%.3e] [%g] [%10.2f] [%-10.4G] [%+.0f] [%#g]\n", *this->pi, *this->pi, *this->pi,
	    *this->pi, *this->pi, *this->pi, *this->pi);

	this->s = (struct sample *)alloca(sizeof(struct sample));
	*(uint32_t *)&this->s->ratio = 0xbfc00000;		/* -1.5 */
	*(uint64_t *)&this->s->mean = 0x4415af1d78b58c40;	/* 1e20 */
	this->words = (uint64_t *)&this->s->total;
	this->words[0] = 0xa000000000000000;			/* 1.25 * 2^-1 */
	this->words[1] = 0x3ffe;
	printf("[%f] [%e] [%g] [%G]\n", this->s->ratio, this->s->ratio, this->s->mean, this->s->mean);
	printf("[%f] [%Lf] [%Le] [%.2Lg] [%d]\n", this->s->total, this->s->total, this->s->total, this->s->total,
	    sizeof(struct sample));
	exit(0);
}
