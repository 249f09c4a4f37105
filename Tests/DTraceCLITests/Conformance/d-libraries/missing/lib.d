#pragma D depends_on library not-here.d
