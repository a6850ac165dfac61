"""``chainboard fuzz-api``: a long Schemathesis run against the API, on the database you name."""

from __future__ import annotations

import math
import time

from django.core.management.base import BaseCommand, CommandError
from django.core.wsgi import get_wsgi_application
from django.db import connection, transaction

from chainboard import actions, audit, fuzz
from chainboard.scope import SystemActor


class Rollback(Exception):
    """Leaves the run's transaction, undoing every write the fuzzer made."""


class Command(BaseCommand):
    help = (
        "Fuzz every operation of the JSON API from its OpenAPI document (Schemathesis, in process, no "
        "network): --cases requests per operation, half that the schema allows and half that break it. "
        "Runs against the configured database (DATABASE_URL, or CHAINBOARD_SQLITE_PATH) as --user, or, "
        "without --user, as the chain office of the test city it builds first (an empty, migrated database). "
        "Everything it writes is rolled back at the end. Exits with an error if any response was a 5xx."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=1000, help="requests per operation (default 1000)")
        parser.add_argument("--user", help="an existing active user to act as (default: build the test city)")
        parser.add_argument("--only", default="", help="only operations whose label contains this text")

    def handle(self, *args, cases: int, user: str | None, only: str, **options):
        if cases < 2:
            raise CommandError(
                "--cases must be at least 2 (one that the schema allows, one that it does not)"
            )
        per_mode = math.ceil(cases / len(fuzz.MODES))
        app = get_wsgi_application()
        started = time.monotonic()
        results: list[fuzz.OperationResult] = []
        try:
            with transaction.atomic():
                token = self.token_for(user)
                results = fuzz.run(
                    app,
                    token,
                    cases=per_mode,
                    only=(lambda label: only in label) if only else None,
                    progress=self.report,
                )
                raise Rollback
        except Rollback:
            pass
        self.summary(results, time.monotonic() - started)

    def token_for(self, username: str | None) -> str:
        from django.contrib.auth import get_user_model

        from chainboard.models import ApiToken
        from chainboard.models.tokens import hash_token

        actor = SystemActor("command:fuzz-api")
        with audit.operation(user=actor, source=audit.Source.COMMAND, label="command:fuzz-api"):
            if username is None:
                from chainboard.testing import build_world

                try:
                    with transaction.atomic():
                        world = build_world()
                except Exception as exc:  # noqa: BLE001  (a clash with existing rows: not an empty database)
                    raise CommandError(
                        f"could not build the test city ({exc}); on a database with data, name --user"
                    ) from exc
                account = world.users["office"]
            else:
                account = get_user_model().objects.filter(username=username, is_active=True).first()
                if account is None:
                    raise CommandError(f"no active user named {username}")
            raw = ApiToken.generate()
            actions.create_direct(
                actor, ApiToken(user=account, name="fuzz-api", prefix=raw[:8], key_hash=hash_token(raw))
            )
        self.stdout.write(
            f"fuzzing as {account.username} on {connection.vendor} ({connection.settings_dict['NAME']})"
        )
        return raw

    def report(self, result: fuzz.OperationResult) -> None:
        self.stdout.write(
            f"{result.label:<48} {result.mode:<8} {result.cases:>6} cases  "
            f"{result.server_errors:>4} server errors  {result.failure_count:>4} failed checks"
        )
        for failure in result.failures:
            self.stdout.write(failure)
        self.stdout.flush()

    def summary(self, results: list[fuzz.OperationResult], seconds: float) -> None:
        operations = {r.label for r in results}
        per_operation: dict[str, int] = {}
        for r in results:
            per_operation[r.label] = per_operation.get(r.label, 0) + r.cases
        total = sum(per_operation.values())
        errors = sum(r.server_errors for r in results)
        failed = sum(r.failure_count for r in results)
        fewest = min(per_operation.values(), default=0)
        self.stdout.write(
            f"{len(operations)} operations, {total} cases (at least {fewest} per operation), "
            f"{errors} server errors, {failed} failed checks, {seconds:.0f} s; every write rolled back"
        )
        if errors:
            raise CommandError(f"{errors} server error(s)")
