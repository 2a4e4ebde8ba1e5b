"""Persistence models, one module per aggregate; importing this registers them all."""
from .audit import AuditEntry
from .job import Job
from .login_attempt import LoginAttempt  # noqa: F401
from .layers import District, ProtectedArea, WaterBody, Zone
from .enterprise import Enterprise
from .encroachment import (EncroachmentFlag, EncroachmentFlagEvent, EncroachmentRule,  # noqa: F401
                          ProtectedPart, ReviewReport)
from .export import Export  # noqa: F401
from .exchange import DataImport, Raster, ZonePopulation  # noqa: F401
from .project import Project
from .tile_cache import CachedTile, TileEpoch
from .relocation import StageTransition, TransitionAttachment  # noqa: F401
from .user import ApiToken, User
from .user_layer import LayerFeature, UserLayer
from .versions import FeatureVersion

__all__ = [
    "CachedTile", "TileEpoch",
    "ApiToken", "AuditEntry", "District", "Enterprise", "FeatureVersion", "Job", "LayerFeature", "Project",
    "ProtectedArea", "User", "UserLayer", "WaterBody", "Zone",
]
