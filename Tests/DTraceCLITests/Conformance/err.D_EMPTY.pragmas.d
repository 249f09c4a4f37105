/* A script of comments and pragmas only is empty: D_EMPTY, on the line after its end. */
#pragma D option quiet
