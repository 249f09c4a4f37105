/*
 * Declarations DTrace accepts without storing anything: extern objects (an int when
 * no type is given), arrays of unknown size, function prototypes (void alone, unnamed
 * parameters, variable-length lists) and pointers to functions; floating-point types
 * can be declared and measured though D computes nothing with them.
 */
#pragma D option quiet

extern int jiffies_seen;
extern ticks;
extern char buffer[];
extern int grid[4][8];
extern long lookup(void);
extern int *find(char *, int);
extern int (*handler)(int, ...);
extern int logf(const char *fmt, ...);
int compare(long, long);

float ratio;
double total;

BEGIN
{
	printf("%d %d %d\n", sizeof (float), sizeof (double), sizeof (long double));
	printf("%d %d\n", sizeof (ratio), sizeof (total));
	exit(0);
}
