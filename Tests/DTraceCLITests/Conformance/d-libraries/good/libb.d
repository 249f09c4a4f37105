#pragma D depends_on provider dtrace

typedef struct pair { int left; int right; } pair_t;
inline int base_answer = 21;
