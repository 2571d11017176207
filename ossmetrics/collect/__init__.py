"""Collectors: one module per source, each ``fetch`` (I/O) kept apart from ``save_*`` (store writes)."""
