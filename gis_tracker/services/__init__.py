"""Use cases: each owns its transaction and raises errors from ``errors``."""
