/*
 * A translator's output is a struct or union.
 */
struct in { int i; };

translator int < struct in *I > {
};

BEGIN { exit(0); }
