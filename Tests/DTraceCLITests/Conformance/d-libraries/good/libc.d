/* A module that is not there: this library is left out, and so is libd.d. */
#pragma D depends_on module no_such_module_here

inline int left_out = 1;
