from .attachments import Attachment
from .audit import AuditEntry, AuditPurgePermit
from .base import NON_NEGATIVE, AuditedModel, ScopedManager, ScopedQuerySet
from .config import CityConfig
from .imports import ImportJob, ImportMapping, ImportStatus
from .instructions import Instruction, InstructionStatus
from .journal import JournalEntry
from .kept import KeptCount
from .notices import Notice
from .schedule import JobStatus, ScheduledJob
from .tokens import ApiToken
from .transitions import Transition
from .webhooks import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .workdays import WorkdayOverride, WorkdayYear
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
    "Instruction",
    "InstructionStatus",
    "AuditedModel",
    "JobStatus",
    "JournalEntry",
    "KeptCount",
    "ScopedManager",
    "ScopedQuerySet",
    "NON_NEGATIVE",
    "Notice",
    "ScheduledJob",
    "Transition",
    "DeliveryStatus",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkdayOverride",
    "WorkdayYear",
    "WorkerHeartbeat",
]
