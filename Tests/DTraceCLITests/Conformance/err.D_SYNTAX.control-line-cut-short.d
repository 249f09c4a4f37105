/*
 * A control line (#pragma) that the end of the file cuts short, without its
 * newline, is refused.
 */
inline int foo = 0;
#pragma