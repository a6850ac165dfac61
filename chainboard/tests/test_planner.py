"""SQLite's planner statistics kept current (docs/planner.md): a table that grew is analysed, by the nightly
job and after a committed import; one that did not is left alone; PostgreSQL is left to autovacuum."""

import io

import pytest
from django.db import connection

from chainboard import audit, planner, scheduler
from chainboard.scope import SystemActor
from chainboard.tests.test_imports import HEADER, check, commit, csv_bytes, job_of, upload, uscc
from chains.models import Chain
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL's autovacuum analyses")

TABLE = Enterprise._meta.db_table


def write_enterprises(world, n: int, prefix: str) -> None:
    actor = SystemActor("test")
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="test:planner"):
        Enterprise.objects.bulk_create(
            Enterprise(name=f"{prefix}{i}", region=world.regions["140581"]) for i in range(n)
        )


def index_statistics(table: str) -> dict[str, str]:
    """The statistics SQLite plans ``table`` by: each index's row of ``sqlite_stat1``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return {}
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        return dict(cursor.fetchall())


@sqlite_only
def test_a_table_that_grew_is_analysed_and_one_that_did_not_is_left_alone(world):
    write_enterprises(world, 120, "统计测试企业")
    rows = Enterprise.objects.count()
    assert TABLE in planner.stale_tables()
    analysed = planner.refresh()
    assert analysed[TABLE] == rows
    # A small table never analysed is too: SQLite would plan it as a large one beside the others.
    assert analysed[Chain._meta.db_table] == Chain.objects.count() < planner.CHANGED_ROWS
    stats = index_statistics(TABLE)
    # Every index of the table has its row, beginning with the table's row count.
    indexes = {
        name
        for name, info in connection.introspection.get_constraints(connection.cursor(), TABLE).items()
        if info["index"] and not info["primary_key"]
    }
    assert indexes <= set(stats)
    assert {stat.split()[0] for stat in stats.values()} == {str(rows)}
    # Nothing changed since: nothing to do.
    assert planner.refresh() == {}
    # A few rows more is within the rule (50 rows plus a tenth); more than that is stale again.
    write_enterprises(world, 10, "再写企业")
    assert TABLE not in planner.refresh()
    write_enterprises(world, planner.CHANGED_ROWS + rows // 10 + 1, "又写企业")
    assert planner.refresh()[TABLE] == Enterprise.objects.count()
    assert {stat.split()[0] for stat in index_statistics(TABLE).values()} == {str(Enterprise.objects.count())}
    # An index added since (a migration) has no statistics of its own: the table is analysed again.
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX planner_test_address ON {TABLE} (address)")
    assert planner.stale_tables()[TABLE][0] == Enterprise.objects.count()
    planner.refresh()
    assert "planner_test_address" in index_statistics(TABLE)
    assert planner.refresh() == {}
    # A partial index that no row matches has no statistics after ANALYZE either: not stale for that.
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX planner_test_partial ON {TABLE} (address) WHERE address = 'nowhere'")
    assert planner.refresh() == {}


@sqlite_only
def test_a_committed_import_analyses_what_it_wrote(client, world):
    client.force_login(world.users["office"])
    rows = [HEADER] + [
        [str(i), f"导入统计企业{i}", uscc(100 + i), "140581", "丝麻纺织服装产业链"] for i in range(1, 80)
    ]
    job = check(client, job_of(upload(client, "统计.csv", csv_bytes(rows))))
    assert job.status == "ready", job.errors
    assert index_statistics(TABLE) == {}  # the check is a dry run: nothing written, nothing analysed
    job = commit(client, job)
    assert job.status == "done", job.message
    stats = index_statistics(TABLE)
    assert stats and {stat.split()[0] for stat in stats.values()} == {str(Enterprise.objects.count())}


def test_the_nightly_job_refreshes_statistics_and_does_nothing_on_postgresql(world):
    registration = scheduler.REGISTRY["planner-statistics"]
    assert registration.task == "chainboard.tasks.refresh_planner_statistics"
    from chainboard.tasks import refresh_planner_statistics

    write_enterprises(world, 120, "夜间统计企业")
    result = refresh_planner_statistics.call()
    if connection.vendor == "sqlite":
        assert result[TABLE] == Enterprise.objects.count()
        assert refresh_planner_statistics.call() == {}
    else:
        assert result == {}


def test_a_failed_refresh_leaves_the_import_done(client, world, monkeypatch):
    from django.db import OperationalError

    def locked(connection=None):
        raise OperationalError("database is locked")

    monkeypatch.setattr(planner, "refresh", locked)
    client.force_login(world.users["office"])
    rows = [HEADER, ["1", "锁住也导入企业", uscc(300), "140581", "丝麻纺织服装产业链"]]
    job = commit(client, check(client, job_of(upload(client, "锁.csv", csv_bytes(rows)))))
    assert job.status == "done", job.message
    assert Enterprise.objects.filter(name="锁住也导入企业").exists()


@sqlite_only
def test_the_command_line_import_analyses_what_it_wrote_and_a_dry_run_does_not(world, tmp_path):
    from django.core.management import call_command

    rows = [HEADER] + [
        [str(i), f"命令统计企业{i}", uscc(400 + i), "140581", "丝麻纺织服装产业链"] for i in range(1, 60)
    ]
    path = tmp_path / "命令统计.csv"
    path.write_bytes(csv_bytes(rows))
    call_command(
        "import_file", "enterprises", str(path), "--user", "office", "--dry-run", stdout=io.StringIO()
    )
    assert index_statistics(TABLE) == {}
    call_command("import_file", "enterprises", str(path), "--user", "office", stdout=io.StringIO())
    assert {stat.split()[0] for stat in index_statistics(TABLE).values()} == {str(Enterprise.objects.count())}


@sqlite_only
def test_the_demo_is_loaded_with_statistics(db):
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    assert {stat.split()[0] for stat in index_statistics(TABLE).values()} == {str(Enterprise.objects.count())}
    assert planner.stale_tables() == {}


class _Editor:
    """What ``schema.reanalyse`` uses of a schema editor; SQLite's own refuses to open inside the test's
    transaction."""

    connection = connection
    quote_name = staticmethod(connection.ops.quote_name)

    def execute(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)


@sqlite_only
def test_a_migrations_reanalyse_renews_an_analysed_table_and_leaves_one_never_analysed(world):
    from chainboard.schema import reanalyse

    write_enterprises(world, 120, "迁移统计企业")
    reanalyse(_Editor(), TABLE)
    assert index_statistics(TABLE) == {}  # never analysed: left so
    planner.refresh()
    write_enterprises(world, 10, "迁移后企业")
    reanalyse(_Editor(), TABLE)
    assert {stat.split()[0] for stat in index_statistics(TABLE).values()} == {str(Enterprise.objects.count())}
