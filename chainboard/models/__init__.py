from .attachments import Attachment
from .audit import AuditEntry
from .base import AuditedModel, ScopedQuerySet
from .config import CityConfig
from .journal import JournalEntry

__all__ = ["Attachment", "AuditEntry", "CityConfig", "AuditedModel", "JournalEntry", "ScopedQuerySet"]
