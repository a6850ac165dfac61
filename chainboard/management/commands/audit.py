import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from chainboard import audit, auditchain
from chainboard.scope import SystemActor


class Command(BaseCommand):
    help = (
        "The audit trail. `audit verify` recomputes every entry's hash chain and exits non-zero naming the "
        "first broken link; it prints the head (last id and hash) to keep elsewhere. `audit purge --before "
        "DATE` deletes the entries written before DATE (local date), refused inside the retention period "
        "(CHAINBOARD_AUDIT_RETENTION_DAYS, at least 183 days); the purge writes its own audit entry with "
        "the count and the anchor that keeps `audit verify` working."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["verify", "purge"])
        parser.add_argument(
            "--before", metavar="YYYY-MM-DD", help="purge: delete entries written before this"
        )

    def handle(self, *args, verb: str, before: str | None, **options):
        if verb == "verify":
            self._verify()
        else:
            self._purge(before)

    def _verify(self) -> None:
        result = auditchain.verify()
        if not result.ok:
            reasons = {
                "hash": _("its content does not match its hash"),
                "previous hash": _("its previous hash is not the hash of the entry before it"),
                "anchor": _("the first entry continues neither the start of the trail nor the last purge"),
            }
            raise CommandError(
                _(
                    "The audit trail is broken at entry %(id)s: %(reason)s (%(count)s entries before it are intact)."
                )
                % {"id": result.broken_id, "reason": reasons[result.reason], "count": result.count}
            )
        self.stdout.write(
            _("The audit trail is intact: %(count)s entries; last entry %(id)s, hash %(hash)s.")
            % {"count": result.count, "id": result.head_id or "—", "hash": result.head_hash or "—"}
        )

    def _purge(self, before: str | None) -> None:
        if not before:
            raise CommandError(_("--before: give a date, YYYY-MM-DD."))
        try:
            date = dt.date.fromisoformat(before)
        except ValueError:
            raise CommandError(
                _("--before: %(value)s is not a date; give YYYY-MM-DD.") % {"value": before}
            ) from None
        label = "command:audit purge"
        with audit.operation(user=SystemActor(label), source=audit.Source.COMMAND, label=label):
            try:
                done = auditchain.purge(date)
            except auditchain.RetentionError:
                raise CommandError(
                    _(
                        "--before: audit entries are kept %(days)s days; the latest date a purge accepts "
                        "today is %(latest)s. Nothing was deleted."
                    )
                    % {
                        "days": auditchain.retention_days(),
                        "latest": auditchain.latest_purge_date().isoformat(),
                    }
                ) from None
        self.stdout.write(
            _("Deleted %(count)s audit entries written before %(date)s (recorded as entry %(id)s).")
            % {"count": done.deleted, "date": date.isoformat(), "id": done.entry.pk}
        )
