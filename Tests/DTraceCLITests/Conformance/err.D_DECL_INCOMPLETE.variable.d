/*
 * A variable of a type only declared.
 */
struct later value;

BEGIN { exit(0); }
