"""Pure geometry, CRS and area maths: no session, no request."""
