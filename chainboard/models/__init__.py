from .attachments import Attachment
from .audit import AuditEntry, AuditPurgePermit
from .base import AuditedModel, ScopedQuerySet
from .config import CityConfig
from .imports import ImportJob, ImportMapping, ImportStatus
from .journal import JournalEntry
from .tokens import ApiToken
from .workers import WorkerHeartbeat

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "AuditPurgePermit",
    "CityConfig",
    "ImportJob",
    "ImportMapping",
    "ImportStatus",
    "AuditedModel",
    "JournalEntry",
    "ScopedQuerySet",
    "WorkerHeartbeat",
]
