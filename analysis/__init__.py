"""tapecheck analysis: the tape, signals, claims and their reports."""
