"""Test infrastructure that is not a fixture: the throwaway PostGIS cluster."""
