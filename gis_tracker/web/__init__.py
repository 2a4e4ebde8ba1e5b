"""HTML blueprints: login, the map, health checks."""
