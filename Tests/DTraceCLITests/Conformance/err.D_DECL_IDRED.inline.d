/* An inline may not take the name of another inline or a function. */
inline int limit = 8;
inline int limit = 9;
