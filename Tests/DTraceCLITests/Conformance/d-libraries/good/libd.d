#pragma D depends_on library libc.d

inline int also_left_out = left_out;
