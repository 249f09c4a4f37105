/* Needs libb.d's inline; loads after it. */
#pragma D depends_on library libb.d

inline int answer = base_answer * 2;
