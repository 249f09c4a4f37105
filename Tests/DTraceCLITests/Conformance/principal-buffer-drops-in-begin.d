/* BEGIN's records wait in the principal buffer (bufsize) until its clauses are done:
   the one with no room left is a drop on its CPU. */
#pragma D option strsize=1k
#pragma D option bufsize=8k
#pragma D option quiet

BEGIN { printf("%s %s\n", "00", "01"); }
BEGIN { printf("%s %s\n", "02", "03"); }
BEGIN { printf("%s %s\n", "04", "05"); }
BEGIN { printf("%s %s\n", "06", "07"); }
BEGIN { printf("%s %s\n", "08", "09"); }
BEGIN { exit(0); }
