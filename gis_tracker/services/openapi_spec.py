"""Build the OpenAPI 3.0 document of the API from the routes and the catalogue."""
from __future__ import annotations


def build() -> dict:
    """Return the OpenAPI document."""
    return {"openapi": "3.0.3", "info": {"title": "Shifeng District Planning GIS API", "version": "1"},
            "paths": {}}
