"""Tamper evidence for the audit trail: every entry carries a SHA-256 chained over the previous entry's.

An entry's hash is SHA-256 over a canonical JSON of its fields and the previous entry's hash (see
:func:`digest`); entries are chained in id order. Whoever alters, removes or reorders an entry behind
the database's back (the triggers of migrations 0002 and 0009 refuse it through SQL) breaks the chain
at that entry or the next, and :func:`verify` names the first broken link.

Appending never forks the chain: :func:`append` and :func:`append_many` read the head (the last entry's
hash) and insert inside one transaction that holds the chain:

- PostgreSQL: a transaction-level advisory lock, taken before the head is read and before any new id is
  drawn from the sequence, so ids follow chain order and a second writer waits, then reads the head the
  first one committed (READ COMMITTED: each statement sees what was committed before it began);
- SQLite: every transaction is ``BEGIN IMMEDIATE`` (settings), so writers are serialized already.

The head is read from the table itself on every append rather than cached: a savepoint rolled back
after an append (``purge_samples`` does that) would leave a cached head pointing at a row that is gone.

Retention: :func:`purge` deletes a prefix of the chain (entries older than a date) and writes its own
entry, which names the previous hash of the first entry it kept (the *anchor*); :func:`verify` accepts a
first entry whose previous hash is empty (the first entry ever) or that anchor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, transaction

# A constant key for pg_advisory_xact_lock: "chainboard audit chain" has no other user of advisory locks.
_LOCK_KEY = 0x636861696E617564  # "chainaud"
GENESIS = ""
APPEND_BATCH = 5_000  # entries chained and written at a time by append_many
# The fields an entry's hash covers, besides the previous hash (not the id: the chain gives the order).
HASHED = (
    "time",
    "user_id",
    "user_name",
    "operation_id",
    "source",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "parent_content_type_id",
    "parent_object_id",
    "before",
    "after",
)
# The database keeps every entry for at least this long, whatever the setting says (the delete trigger
# refuses younger rows): 网络安全法 第二十一条, network logs kept for no less than six months.
MINIMUM_RETENTION_DAYS = 183

_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def _time_text(value: dt.datetime) -> str:
    """UTC with microseconds: what both databases store and give back."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def digest(
    prev_hash: str,
    row: dict[str, Any],
    time_text: str | None = None,
    before_text: str | None = None,
    after_text: str | None = None,
) -> str:
    """SHA-256 (hex) of the canonical JSON of ``row`` after ``prev_hash``: the array

        [prev_hash, time, user_id, user_name, operation_id, source, action, content_type_id, object_id,
         object_repr, parent_content_type_id, parent_object_id, before, after]

    with the time in UTC (``2026-12-04T13:00:00.000000Z``), the operation id as text, objects' keys
    sorted at every level, no whitespace, non-ASCII characters as they are, encoded in UTF-8.

    ``time_text``, ``before_text`` and ``after_text`` are those parts already encoded (a bulk write
    encodes the before and after once, for the hash and the INSERT alike)."""
    operation_id = row["operation_id"]
    head = _encode(
        [
            prev_hash,
            time_text or _time_text(row["time"]),
            row["user_id"],
            row["user_name"],
            str(operation_id) if isinstance(operation_id, uuid.UUID) else operation_id,
            row["source"],
            row["action"],
            row["content_type_id"],
            row["object_id"],
            row["object_repr"],
            row["parent_content_type_id"],
            row["parent_object_id"],
        ]
    )
    if before_text is None:
        before_text = _encode(row["before"])
    if after_text is None:
        after_text = _encode(row["after"])
    return hashlib.sha256(f"{head[:-1]},{before_text},{after_text}]".encode()).hexdigest()


def _hold_chain(using: str = "default") -> None:
    """Serialize appends until the transaction ends (see the module's docstring)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _head(using: str = "default") -> str:
    from chainboard.models import AuditEntry

    last = AuditEntry.objects.using(using).order_by("-id").values_list("hash", flat=True).first()
    return last if last is not None else GENESIS


def _chain(
    rows: list[dict[str, Any]],
    encoded: bool = False,
    using: str = "default",
    *,
    prev: str | None = None,
    now=None,
) -> str:
    """Stamp ``rows`` (audit values, in order) with time, previous hash and hash, after the head (or
    after ``prev``, the hash of the batch before); returns the last hash.

    ``encoded``: replace before and after by their canonical JSON text (:class:`bulkwrite.JsonText`),
    which the bulk INSERT then writes as it is instead of encoding them a second time."""
    from django.utils import timezone

    from chainboard.bulkwrite import JsonText

    now = now or timezone.now()
    now_text = _time_text(now)  # one time for the whole batch, as one INSERT would have
    if prev is None:
        prev = _head(using)
    for row in rows:
        before, after = row["before"], row["after"]
        before_text = "null" if before is None else _encode(before)
        after_text = "null" if after is None else _encode(after)
        row["time"] = now
        row["prev_hash"] = prev
        prev = row["hash"] = digest(prev, row, now_text, before_text, after_text)
        if encoded:
            row["before"] = None if before is None else JsonText(before_text)
            row["after"] = None if after is None else JsonText(after_text)
    return prev


def append(values: dict[str, Any], using: str = "default"):
    """Save one audit entry (``values`` as :func:`chainboard.audit.values` gives them) onto the chain of
    the database ``using`` (another one than the default only for a restore's own entry)."""
    from chainboard.models import AuditEntry

    with transaction.atomic(using=using):
        _hold_chain(using)
        _chain([values], using=using)
        entry = AuditEntry(**values)
        entry.save(force_insert=True, using=using)
    return entry


def append_many(rows: Iterable[dict[str, Any]]) -> list[int]:
    """Insert many audit entries (an import's) onto the chain: hashed in Python in the same pass that
    prepares them, written by :func:`chainboard.bulkwrite.insert_values`. Returns the new ids.

    ``rows`` may be a generator: they are taken, chained and written ``APPEND_BATCH`` at a time (one
    time stamp for all), so an import's 400,000 entries are never all in memory at once."""
    from django.utils import timezone

    from chainboard import bulkwrite
    from chainboard.models import AuditEntry

    ids: list[int] = []
    rows = iter(rows)
    with transaction.atomic():
        prev, now = None, timezone.now()
        while batch := list(itertools.islice(rows, APPEND_BATCH)):
            if prev is None:
                _hold_chain()  # before insert_values draws its ids, so they follow the chain's order
            prev = _chain(batch, encoded=True, prev=prev, now=now)
            ids += bulkwrite.insert_values(AuditEntry, batch)
    return ids


# ---- verification ------------------------------------------------------------------------------------


@dataclass
class Verification:
    count: int = 0
    broken_id: int | None = None
    reason: str = ""
    head_id: int | None = None
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def anchor(using: str = "default") -> str:
    """The previous hash the first entry may carry: that of the latest purge, or empty."""
    from chainboard.models import AuditEntry
    from chainboard.models.audit import AuditAction

    purge = (
        AuditEntry.objects.using(using)
        .filter(action=AuditAction.PURGE, after__has_key="first_kept_prev_hash")
        .order_by("-id")
        .values_list("after", flat=True)
        .first()
    )
    return purge["first_kept_prev_hash"] if purge else GENESIS


def verify(chunk_size: int = 5_000, using: str = "default") -> Verification:
    """Walk the trail in id order and recompute every hash; stop at the first broken link."""
    from chainboard.models import AuditEntry

    result = Verification()
    expected_prev = anchor(using)
    columns = ("id", *HASHED, "prev_hash", "hash")
    rows = (
        AuditEntry.objects.using(using).order_by("id").values_list(*columns).iterator(chunk_size=chunk_size)
    )
    for values in rows:
        row = dict(zip(columns, values, strict=True))
        if row["prev_hash"] != expected_prev:
            result.broken_id = row["id"]
            result.reason = "previous hash" if result.count else "anchor"
            return result
        if digest(row["prev_hash"], row) != row["hash"]:
            result.broken_id = row["id"]
            result.reason = "hash"
            return result
        result.count += 1
        result.head_id, result.head_hash = row["id"], row["hash"]
        expected_prev = row["hash"]
    return result


# ---- retention ---------------------------------------------------------------------------------------


def retention_days() -> int:
    return max(settings.CHAINBOARD_AUDIT_RETENTION_DAYS, MINIMUM_RETENTION_DAYS)


def latest_purge_date(today: dt.date | None = None) -> dt.date:
    """The latest ``--before`` date a purge accepts today: every entry of the retention period stays."""
    from django.utils import timezone

    return (today or timezone.localdate()) - dt.timedelta(days=retention_days())


class RetentionError(ValueError):
    pass


@dataclass
class Purge:
    deleted: int
    entry: Any  # the purge's own audit entry


def purge(before: dt.date) -> Purge:
    """Delete the entries written before local midnight of ``before`` (a prefix of the chain), as one
    audited operation: its own entry (action purge) records the date, the count and the anchor.

    Raises :class:`RetentionError` when ``before`` falls inside the retention period; nothing changes."""
    from django.utils import timezone

    from chainboard import audit
    from chainboard.models import AuditEntry, AuditPurgePermit
    from chainboard.models.audit import AuditAction

    if before > latest_purge_date():
        raise RetentionError(before)
    cutoff = dt.datetime.combine(before, dt.time.min, tzinfo=timezone.get_current_timezone())
    with transaction.atomic():
        _hold_chain()
        # The first entry kept: the first written at or after the cutoff. Everything before it in the
        # chain goes (all older than the cutoff, by that definition), so what stays is one unbroken chain.
        first_kept = (
            AuditEntry.objects.filter(time__gte=cutoff).order_by("id").values_list("id", "prev_hash").first()
        )
        if first_kept is None:  # every entry is older: the purge's own entry will be the first kept
            below_id, first_kept_prev = None, _head()
        else:
            below_id, first_kept_prev = first_kept
        doomed = AuditEntry.objects.all() if below_id is None else AuditEntry.objects.filter(id__lt=below_id)
        count = doomed.count()
        entry = audit.record(
            AuditAction.PURGE,
            model=AuditEntry,
            object_repr="audit entries",
            after={
                "before": before.isoformat(),
                "retention_days": retention_days(),
                "deleted": count,
                "first_kept_prev_hash": first_kept_prev,
            },
        )
        if count:
            # The one DELETE the trigger lets through: rows below the permit's id, older than its floor.
            permit = AuditPurgePermit.objects.create(below_id=below_id if below_id is not None else entry.pk)
            AuditEntry.objects.filter(id__lt=permit.below_id).delete()
            permit.delete()
    return Purge(deleted=count, entry=entry)
