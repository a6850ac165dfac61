"""A rebuild of the search index on PostgreSQL outside a transaction (the ``rebuild_search`` command):
built beside the live index, its two GIN indexes at once in two sessions, then swapped in; writers wait,
searches go on against the old entries, and a failure leaves the old index as it was."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from chainboard import search
from chainboard.tests.test_search import names
from enterprises.models import Enterprise

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the rebuild in two sessions: PostgreSQL"),
]

DOCS = "enterprises_enterprise_search"


@pytest.fixture
def committed(audit_triggers_lifted_for_flush, world):
    yield world
    # The flush after a transactional test empties the models' tables, not the index's entries.
    with connection.cursor() as cursor:
        for model in search.searchable_models():
            cursor.execute(f'TRUNCATE "{search._names(model._meta.db_table)["docs"]}"')


def relations() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname LIKE %s", [DOCS + "%"])
        return {row[0] for row in cursor.fetchall()}


def test_the_command_rebuilds_beside_and_swaps_the_new_index_in(committed):
    e = committed.enterprises["jingbai"]
    Enterprise.objects.filter(pk=e.pk).update(name="景柏织造")  # around the write path: not indexed yet
    assert names("织造") == set()  # (服饰 still finds the row: its old entry points to it)
    assert not connection.in_atomic_block

    call_command("rebuild_search", "enterprises.Enterprise", stdout=io.StringIO())

    assert names("织造") == {"景柏织造"} and names("服饰") == set()
    assert names("jbzz") == {"景柏织造"}
    assert names("其他企业") == {"高平其他企业", "泽州其他企业"}
    # The same names as the index the migration made: nothing left of the table built beside.
    assert relations() == {DOCS, DOCS + "_pkey", DOCS + "_words", DOCS + "_pinyin"}
    # Again, over the swapped-in table (its key's name must not clash with the next one built beside).
    assert search.rebuild(Enterprise) == Enterprise.objects.count()
    assert names("jbzz") == {"景柏织造"}
    # The planner's statistics came with it: the box's estimates read them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = %s", [DOCS + "_words"])
        assert cursor.fetchone()[0] == 1


def test_writers_wait_and_searches_answer_from_the_old_entries_while_it_builds(committed, monkeypatch):
    e = committed.enterprises["jingbai"]
    Enterprise.objects.filter(pk=e.pk).update(name="景柏织造")
    copy_rows, seen = search._copy_rows, {}

    def copy_and_look(conn, *args, **kwargs):
        # In the session that fills the new table, while the command's own session holds its lock.
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT mode FROM pg_locks WHERE relation = 'enterprises_enterprise'::regclass"
                " AND pid <> pg_backend_pid() AND granted"
            )
            seen["locks"] = {row[0] for row in cursor.fetchall()}
        seen["old"] = names("服饰")
        return copy_rows(conn, *args, **kwargs)

    monkeypatch.setattr(search, "_copy_rows", copy_and_look)
    search.rebuild(Enterprise)
    assert "ShareLock" in seen["locks"]  # blocks INSERT, UPDATE and DELETE; not reads
    assert seen["old"] == {"景柏织造"}  # by 服饰: the live index, as it was before the rebuild
    assert names("织造") == {"景柏织造"}


def test_a_failed_rebuild_leaves_the_old_index_and_no_table_beside(committed, monkeypatch):
    e = committed.enterprises["jingbai"]
    Enterprise.objects.filter(pk=e.pk).update(name="景柏织造")
    gin_indexes = search._gin_indexes

    def one_broken(table, docs=None):
        built = gin_indexes(table, docs)
        return built if docs is None else [built[0], built[1].replace("USING gin", "USING no_such_method")]

    monkeypatch.setattr(search, "_gin_indexes", one_broken)
    with pytest.raises(Exception, match="no_such_method"):
        search.rebuild(Enterprise)
    assert names("织造") == set() and names("jbfs") == {"景柏织造"}  # the old entries
    assert relations() == {DOCS, DOCS + "_pkey", DOCS + "_words", DOCS + "_pinyin"}
    # The lock went with the transaction: the table takes writes again.
    assert Enterprise.objects.filter(pk=e.pk).update(name="景柏服饰") == 1
