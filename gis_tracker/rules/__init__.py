"""Domain rules on plain values: no database, no request."""
