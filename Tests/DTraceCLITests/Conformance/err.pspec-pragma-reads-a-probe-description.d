/*
 * After "#pragma D option pspec", text that could declare a variable ("int*x") is a
 * probe description (a glob): without a predicate or actions, the script is refused.
 */
#pragma D option pspec

int*x
