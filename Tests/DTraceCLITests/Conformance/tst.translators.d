/*
 * Translators defined in D: a member of a translated value compiles only that member
 * (xlate<T>(v).m and xlate<T *>(v)->m), assigning a translated struct builds it all
 * (members the translator does not define are zero), translators in both directions,
 * a struct translated to itself, an integer input, and a pointer input.
 */
#pragma D option quiet

struct in {
	int ii;
	char ic;
	char name[8];
};

struct out {
	int oi;
	char oc;
	int twice;
	char label[8];
	int untouched;
};

translator struct out < struct in I > {
	oi = I.ii;
	oc = I.ic;
	twice = I.ii * 2;
	label = I.name;
};

translator struct in < struct out O > {
	ii = O.oi + 1;
	ic = O.oc;
};

translator struct out < int N > {
	oi = N;
	twice = N + N;
};

translator struct out < struct in *P > {
	oi = P->ii * 10;
	oc = P->ic;
};

struct in input;
struct out result;

BEGIN
{
	input.ii = 21;
	input.ic = 'z';
	input.name[0] = 'a';
	input.name[1] = 'b';
	printf("member: %d %c %d\n", xlate<struct out>(input).oi, xlate<struct out>(input).oc, xlate<struct out *>(input)->twice);
	result = xlate<struct out>(input);
	printf("whole: %d %c %d %s %d\n", result.oi, result.oc, result.twice, result.label, result.untouched);
	printf("back: %d %c\n", xlate<struct in>(result).ii, xlate<struct in>(result).ic);
	printf("integer: %d %d\n", xlate<struct out>(7).oi, xlate<struct out *>(8)->twice);
	this->copy = (struct in *)alloca(sizeof (struct in));
	this->copy->ii = 21;
	this->copy->ic = 'z';
	printf("pointer: %d %c\n", xlate<struct out *>(this->copy)->oi, xlate<struct out>(this->copy).oc);
	exit(0);
}
