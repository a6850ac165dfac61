"""Backups and restores: the whole database plus the media folder (attachments), with a manifest.

A backup is three files in ``settings.BACKUP_DIR`` named by its local time, ``chainboard-YYYYmmdd-HHMMSS``:

- the database: ``.sqlite3`` (SQLite's online backup API) or ``.pgdump`` (``pg_dump --format=custom``);
- the media folder: ``.media.tar`` (attachments are PDFs, office files and photos, already compressed);
- the manifest: ``.json`` with the time, the database kind, every table's row count, the audit trail's
  row count, last id and digest, and each file's SHA-256. It is written last: a backup without its
  manifest is incomplete and cannot be restored.

The counts and the audit digest are taken from the very snapshot that was copied (the backup file itself
on SQLite, the exported snapshot pg_dump reads on PostgreSQL), so they hold while others keep writing.
A restore checks the files' SHA-256 before touching anything and the counts and digest after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chainboard import auditchain
from chainboard.models.audit import AuditAction

MANIFEST_FORMAT = 1
PREFIX = "chainboard-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
MEDIA_SUFFIX = ".media.tar"
# Tables `migrate` fills in an empty database: rows there do not make a database "non-empty".
MIGRATE_FILLS = frozenset({"django_migrations", "django_content_type", "auth_permission"})
_DIGEST_BATCH = 5000


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, in their language."""


@dataclass
class Census:
    """What a database holds, to compare a restored database with the backup it came from."""

    tables: dict[str, int]
    audit_count: int
    audit_last_id: int | None
    audit_digest: str

    def as_json(self) -> dict[str, Any]:
        return {
            "tables": self.tables,
            "audit": {"count": self.audit_count, "last_id": self.audit_last_id, "digest": self.audit_digest},
        }


def _audit_table() -> str:
    from chainboard.models import AuditEntry

    return AuditEntry._meta.db_table


def table_names(cursor, vendor: str) -> list[str]:
    """Every table of the database (SQLite's own bookkeeping tables left out, and its virtual tables:
    the search index's contentless FTS5 tables cannot be read whole; their shadow tables are counted)."""
    if vendor == "sqlite":
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
        )
    else:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    return [row[0] for row in cursor.fetchall()]


def _utc(value: dt.datetime | str) -> str:
    # SQLite keeps Django's datetimes as UTC text, PostgreSQL as timestamptz: one form for both.
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def table_counts(cursor, vendor: str) -> dict[str, int]:
    counts = {}
    for name in table_names(cursor, vendor):
        cursor.execute(f'SELECT COUNT(*) FROM "{name}"')  # noqa: S608 (names come from the catalog)
        counts[name] = cursor.fetchone()[0]
    return counts


def census(cursor, vendor: str, *, audit_up_to: int | None = None) -> Census:
    """Row counts of every table, and the audit trail's count, last id and digest: SHA-256 over each
    row's (id, action, object id, time) in id order, up to ``audit_up_to`` when given (a restore adds its
    own row after the ones it checks). ``cursor`` may be Django's or a plain DB-API cursor."""
    tables = table_counts(cursor, vendor)
    digest, count, last_id = hashlib.sha256(), 0, None
    audit_table = _audit_table()
    if audit_table in tables:
        placeholder = "?" if isinstance(cursor, sqlite3.Cursor) else "%s"
        limit = audit_up_to if audit_up_to is not None else 2**62
        cursor.execute(
            f'SELECT id, action, object_id, time FROM "{audit_table}" WHERE id <= {placeholder} ORDER BY id',  # noqa: S608
            [limit],
        )
        while rows := cursor.fetchmany(_DIGEST_BATCH):
            for pk, action, object_id, time in rows:
                digest.update(f"{pk}\t{action}\t{object_id}\t{_utc(time)}\n".encode())
            count += len(rows)
            last_id = rows[-1][0]
    return Census(tables=tables, audit_count=count, audit_last_id=last_id, audit_digest=digest.hexdigest())


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _vendor(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in SUFFIXES:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor})
    return vendor


# -- PostgreSQL client programs ------------------------------------------------------------------------


def _pg_env(alias: str) -> dict[str, str]:
    """The connection for pg_dump/pg_restore as libpq environment variables (no password on a command
    line, where `ps` would show it)."""
    s = connections[alias].settings_dict
    env = dict(os.environ)
    for key, var in (("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD"), ("HOST", "PGHOST"), ("PORT", "PGPORT")):
        if s.get(key):
            env[var] = str(s[key])
    if sslmode := s.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    return env


def _run_pg(tool: str, args: list[str], alias: str) -> None:
    path = shutil.which(tool)
    if path is None:
        raise BackupError(
            _(
                "%(tool)s was not found: install the PostgreSQL client programs (Debian: postgresql-client-15)."
            )
            % {"tool": tool}
        )
    done = subprocess.run([path, *args], env=_pg_env(alias), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(_("%(tool)s failed: %(error)s") % {"tool": tool, "error": done.stderr.strip()})


# -- Backup ----------------------------------------------------------------------------------------------


def _backup_sqlite(alias: str, target: Path) -> Census:
    connection = connections[alias]
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        # pages=-1 (the default): the whole database in one step under one read lock, so the copy is one
        # consistent state; in WAL mode the writers carry on meanwhile.
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        return census(copy.cursor(), "sqlite")
    finally:
        copy.close()


def _backup_postgres(alias: str, target: Path) -> Census:
    connection = connections[alias]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        # pg_dump reads the snapshot this transaction exports, and the counts are taken in the same one:
        # the manifest describes exactly what the dump holds, whatever is written meanwhile.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run_pg(
            "pg_dump",
            [
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={target}",
                connection.settings_dict["NAME"],
            ],
            alias,
        )
        return census(cursor, "postgresql")


def _tar_media(target: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    with tarfile.open(target, "w") as tar:
        if media.is_dir():
            tar.add(media, arcname=".")


def backup(directory: Path | str | None = None, *, alias: str = "default") -> Path:
    """Back up the database and the media folder; return the manifest's path. Writes one audit row."""
    vendor = _vendor(alias)
    directory = Path(directory or settings.BACKUP_DIR)
    # A backup holds everything, confidential figures (统计法) and password hashes included: only the
    # owner may read it.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = timezone.localtime()
    stem = f"{PREFIX}{now:%Y%m%d-%H%M%S}"
    n = 1
    while any(directory.glob(f"{stem}.*")):  # two backups in one second
        n += 1
        stem = f"{PREFIX}{now:%Y%m%d-%H%M%S}-{n}"
    database = directory / f"{stem}{SUFFIXES[vendor]}"
    media = directory / f"{stem}{MEDIA_SUFFIX}"
    # Written under a temporary name and renamed when complete, so no half-written file looks finished.
    parts = [database.with_name(database.name + ".part"), media.with_name(media.name + ".part")]
    try:
        found = (_backup_sqlite if vendor == "sqlite" else _backup_postgres)(alias, parts[0])
        # The files after the database: every attachment the copied rows name is already on disk (a file
        # is stored before its row commits, and never rewritten).
        _tar_media(parts[1])
    except BaseException:
        for part in parts:
            part.unlink(missing_ok=True)
        raise
    for part in parts:
        part.chmod(0o600)
    parts[0].rename(database)
    parts[1].rename(media)
    manifest = {
        "format": MANIFEST_FORMAT,
        "created": now.isoformat(),
        "database": vendor,
        "database_file": database.name,
        "media_file": media.name,
        "sha256": {database.name: sha256(database), media.name: sha256(media)},
        **found.as_json(),
    }
    path = directory / f"{stem}.json"
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    part.chmod(0o600)
    part.rename(path)
    _record(
        alias,
        AuditAction.BACKUP,
        stem,
        {
            "manifest": str(path),
            "database": vendor,
            "rows": sum(found.tables.values()),
            "audit_last_id": found.audit_last_id,
            "sha256": manifest["sha256"],
        },
    )
    return path


def _record(alias: str, action: str, object_repr: str, after: dict[str, Any]) -> None:
    """One audit row in the database ``alias`` (the restored one, after a restore)."""
    from django.contrib.contenttypes.models import ContentType

    from chainboard import audit
    from chainboard.models import AuditEntry

    values = audit.values(action, model=AuditEntry, object_repr=object_repr, after=after)
    # That database's own id for the kind (the operation's cached one may come from before a restore).
    values["content_type_id"] = ContentType.objects.db_manager(alias).get_for_model(AuditEntry).pk
    values.pop("content_type", None)
    auditchain.append(values, using=alias)  # onto that database's hash chain


# -- Restore ---------------------------------------------------------------------------------------------


def manifest_path(file: Path | str) -> Path:
    """The manifest of a backup, given it or any file of the same backup."""
    path = Path(file)
    name = path.name
    for suffix in (".json", MEDIA_SUFFIX, *SUFFIXES.values()):
        if name.endswith(suffix):
            return path.with_name(name.removesuffix(suffix) + ".json")
    return path


def load_manifest(file: Path | str) -> tuple[Path, dict[str, Any]]:
    """Read a backup's manifest and check its files against their SHA-256; nothing is changed."""
    path = manifest_path(file)
    if not path.is_file():
        raise BackupError(
            _("No backup manifest at %(path)s: name the .json file a backup wrote, or a file beside it.")
            % {"path": path}
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != MANIFEST_FORMAT or manifest.get("database") not in SUFFIXES:
            raise ValueError
        names = [manifest["database_file"], manifest["media_file"]]
        expected = [manifest["sha256"][name] for name in names]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError(_("%(path)s is not a chainboard backup manifest.") % {"path": path}) from None
    for name, digest in zip(names, expected, strict=True):
        file = path.with_name(name)
        if not file.is_file():
            raise BackupError(_("The backup file %(name)s is missing.") % {"name": file})
        if sha256(file) != digest:
            raise BackupError(
                _("The backup file %(name)s does not match its checksum: it is damaged or was changed.")
                % {"name": file}
            )
    return path, manifest


def _restore_sqlite(alias: str, file: Path) -> None:
    connection = connections[alias]
    connection.ensure_connection()
    source = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    try:
        # The backup API in reverse: the database's pages are replaced in one step, under its write lock.
        source.backup(connection.connection)
    finally:
        source.close()


def _restore_postgres(alias: str, file: Path) -> None:
    connection = connections[alias]
    connection.close()  # no session of ours holding locks on the tables pg_restore drops
    _run_pg(
        "pg_restore",
        # --single-transaction: all or nothing, a failed restore leaves the database as it was.
        # --no-owner/--no-privileges: the tables belong to the user restoring, whatever role dumped them.
        [
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            f"--dbname={connection.settings_dict['NAME']}",
            str(file),
        ],
        alias,
    )


def _unpack_media(tar_path: Path, stamp: str) -> Path:
    """Unpack the backup's media folder beside the live one (put in place by :func:`_swap_media`)."""
    media = Path(settings.MEDIA_ROOT)
    staging = media.with_name(f"{media.name}.restoring-{stamp}")
    staging.mkdir(parents=True)
    with tarfile.open(tar_path) as tar:
        tar.extractall(staging, filter="data")  # "data": no absolute paths, links out or devices
    return staging


def _swap_media(staging: Path, stamp: str) -> Path | None:
    """Put the unpacked media folder in place; the folder it replaces is moved aside, not deleted.
    Returns where the old folder went (None when there was nothing in it)."""
    media = Path(settings.MEDIA_ROOT)
    moved = None
    if media.is_dir() and any(media.iterdir()):
        moved = media.with_name(f"{media.name}.before-restore-{stamp}")
        media.rename(moved)
    elif media.is_dir():
        media.rmdir()
    staging.rename(media)
    return moved


def compare(manifest: dict[str, Any], found: Census) -> list[str]:
    """How a restored database differs from its backup's manifest (empty: it matches)."""
    problems = []
    expected: dict[str, int] = manifest["tables"]
    for name in sorted(set(expected) | set(found.tables)):
        if expected.get(name, 0) != found.tables.get(name, 0):
            problems.append(
                _("table %(table)s has %(found)s rows, the backup %(expected)s")
                % {"table": name, "found": found.tables.get(name, 0), "expected": expected.get(name, 0)}
            )
    audit = manifest["audit"]
    if (audit["count"], audit["last_id"], audit["digest"]) != (
        found.audit_count,
        found.audit_last_id,
        found.audit_digest,
    ):
        problems.append(_("the audit trail differs from the backup's"))
    return problems


@dataclass
class RestoreResult:
    manifest: Path
    replaced_backup: Path | None  # the data that was replaced, backed up first
    media_moved_to: Path | None


def restore(file: Path | str, *, alias: str = "default", force: bool = False) -> RestoreResult:
    """Restore a backup into the database ``alias`` and the media folder, check it against the manifest,
    bring the schema up to this version (`migrate`) and write the restore's audit row into the restored
    database. A database holding data is replaced only with ``force``, and is backed up first."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    path, manifest = load_manifest(file)
    vendor = _vendor(alias)
    if manifest["database"] != vendor:
        raise BackupError(
            _("This backup is of a %(kind)s database; the database here is %(here)s.")
            % {"kind": manifest["database"], "here": vendor}
        )
    with connections[alias].cursor() as cursor:
        rows = sum(n for name, n in table_counts(cursor, vendor).items() if name not in MIGRATE_FILLS)
    replaced = None
    if rows:
        if not force:
            raise BackupError(
                _(
                    "The database already holds data (%(rows)s rows) and a restore replaces all of it. "
                    "Run again with --force to replace it (it is backed up first)."
                )
                % {"rows": rows}
            )
        # Nothing deleted without a trace: the data (and audit rows) being replaced is kept in a backup.
        replaced = backup(path.parent, alias=alias)
    stamp = f"{timezone.localtime():%Y%m%d-%H%M%S}"
    # The media first, beside the live folder: a tar that cannot be unpacked stops the restore before
    # the database is touched.
    staging = _unpack_media(path.with_name(manifest["media_file"]), stamp)
    try:
        database = path.with_name(manifest["database_file"])
        (_restore_sqlite if vendor == "sqlite" else _restore_postgres)(alias, database)
    except BaseException:
        shutil.rmtree(staging)  # only our own unpacked copy
        raise
    moved = _swap_media(staging, stamp)
    ContentType.objects.clear_cache()  # ids cached from the replaced database
    with connections[alias].cursor() as cursor:
        problems = compare(manifest, census(cursor, vendor, audit_up_to=manifest["audit"]["last_id"]))
    call_command("migrate", database=alias, interactive=False, verbosity=0)
    chain = auditchain.verify(using=alias)
    if chain.broken_id is not None:
        problems.append(
            _("the audit trail's hash chain breaks at entry %(id)s (%(reason)s)")
            % {"id": chain.broken_id, "reason": chain.reason}
        )
    _record(
        alias,
        AuditAction.RESTORE,
        path.stem,
        {
            "manifest": str(path),
            "backup_created": manifest["created"],
            "verified": not problems,
            "problems": problems,
            "replaced_data_backup": str(replaced) if replaced else None,
            "media_moved_to": str(moved) if moved else None,
        },
    )
    if problems:
        raise BackupError(
            _("The restored database does not match the backup: %(problems)s")
            % {"problems": "; ".join(problems)}
        )
    return RestoreResult(manifest=path, replaced_backup=replaced, media_moved_to=moved)
