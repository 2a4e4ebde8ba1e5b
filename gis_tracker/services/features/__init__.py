"""The layer catalogue and everything done to features: reads, writes with versions, tiles, write events."""
