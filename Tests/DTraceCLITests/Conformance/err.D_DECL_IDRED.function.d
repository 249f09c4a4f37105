/* An inline may not take the name of a subroutine. */
inline int strlen = 3;
