/* A typedef names one type. */
typedef int count_t;

BEGIN
{
}

typedef long count_t;
