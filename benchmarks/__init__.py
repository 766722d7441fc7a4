"""tapecheck benchmarks: every figure is reported as a ratio to a baseline timed in the same run."""
