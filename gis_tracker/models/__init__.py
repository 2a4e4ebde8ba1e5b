"""Persistence models, one module per aggregate; importing this registers them all."""
from .audit import AuditEntry
from .browser_session import BrowserSession  # noqa: F401
from .encroachment import (  # noqa: F401
    EncroachmentFlag,
    EncroachmentFlagEvent,
    EncroachmentRule,
    ProtectedPart,
    ReviewGateQueue,
    ReviewOverride,
    ReviewReport,
)
from .enterprise import Enterprise
from .exchange import DataImport, Raster, ZonePopulation  # noqa: F401
from .export import Export  # noqa: F401
from .job import Job
from .layers import District, ProtectedArea, WaterBody, Zone
from .login_attempt import LoginAttempt  # noqa: F401
from .notification import Notification, NotificationMark, NotificationSetting  # noqa: F401
from .planning import IndexReport, PlanIndicator, PlanIndicatorValue, RestorationCheck, RestorationEvidence  # noqa: F401
from .project import Project
from .relocation import StageTransition, TransitionAttachment  # noqa: F401
from .tile_cache import CachedTile, TileEpoch
from .user import ApiToken, User
from .user_layer import LayerFeature, UserLayer
from .versions import FeatureVersion

__all__ = [
    "CachedTile", "TileEpoch",
    "ApiToken", "AuditEntry", "District", "Enterprise", "FeatureVersion", "Job", "LayerFeature", "Project",
    "ProtectedArea", "User", "UserLayer", "WaterBody", "Zone",
]
