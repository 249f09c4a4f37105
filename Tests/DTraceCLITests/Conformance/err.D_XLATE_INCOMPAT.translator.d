/*
 * A translator member's definition must be assignable to the member.
 */
struct in { char c; };
struct out { char *p; };

translator struct out < struct in *I > {
	p = I->c;
};

BEGIN { exit(0); }
