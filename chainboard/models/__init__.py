from .attachments import Attachment
from .audit import AuditEntry
from .base import AuditedModel, ScopedQuerySet
from .config import CityConfig
from .journal import JournalEntry
from .search import SearchKey
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "CityConfig",
    "AuditedModel",
    "JournalEntry",
    "ScopedQuerySet",
    "SearchKey",
]
