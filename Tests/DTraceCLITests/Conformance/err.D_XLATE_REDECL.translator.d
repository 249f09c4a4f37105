/*
 * One translator per input and output type.
 */
struct in { int i; };
struct out { int o; };

translator struct out < struct in *I > {
	o = I->i;
};

translator struct out < struct in *J > {
	o = J->i + 1;
};

BEGIN { exit(0); }
