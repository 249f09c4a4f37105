/*
 * A struct member of a type only declared (a forward declaration reads as a struct).
 */
struct record {
	union later member;
	int position;
};

BEGIN { exit(0); }
