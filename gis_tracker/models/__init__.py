"""Persistence models, one module per aggregate; importing this registers them all."""
from .audit import AuditEntry
from .layers import District, ProtectedArea, WaterBody, Zone
from .enterprise import Enterprise
from .project import Project
from .user import ApiToken, User

__all__ = [
    "ApiToken", "AuditEntry", "District", "Enterprise", "Project",
    "ProtectedArea", "User", "WaterBody", "Zone",
]
