/*
 * A translator may define only members of its output type.
 */
struct in { int i; };
struct out { int o; };

translator struct out < struct in *I > {
	o = I->i;
	missing = I->i;
};

BEGIN { exit(0); }
