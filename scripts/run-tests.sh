#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL. DATABASE_URL defaults to the local server here; with
# CI=true an unreachable PostgreSQL fails the run, otherwise it is skipped loudly.
set -uo pipefail
BIN=.venv/bin
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export DJANGO_ALLOW_ASYNC_UNSAFE=true

echo "== ruff"
$BIN/ruff check . || exit 1
echo "== migrations are up to date"
env -u DATABASE_URL $BIN/chainboard makemigrations --check --dry-run >/dev/null || { echo "missing migrations"; exit 1; }

echo "== tests on SQLite"
env -u DATABASE_URL $BIN/pytest -q "$@"
sqlite_rc=$?

pg_ok=0
$BIN/python - "$PG_URL" <<'PY' && pg_ok=1
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL unreachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
if [ "$pg_ok" = 1 ]; then
  echo "== tests on PostgreSQL ($PG_URL)"
  DATABASE_URL="$PG_URL" $BIN/pytest -q -m "not browser" "$@"
  pg_rc=$?
elif [ "${CI:-}" = "true" ]; then
  echo "FAIL: PostgreSQL is unreachable at $PG_URL and CI=true"
  pg_rc=1
else
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!! PostgreSQL SKIPPED: nothing answers at $PG_URL. Only SQLite was tested. !!"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  pg_rc=0
fi
[ "$sqlite_rc" = 0 ] && [ "$pg_rc" = 0 ]
