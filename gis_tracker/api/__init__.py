"""JSON blueprints: OGC API – Features and the app's own API."""
