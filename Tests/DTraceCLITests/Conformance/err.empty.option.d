/* With -x empty, an empty script is accepted and matches no probes. */
