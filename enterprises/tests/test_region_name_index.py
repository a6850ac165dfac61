"""A region's enterprises in name order from one index (region, name) that also answers every lookup on
the region (enterprises/migrations/0008_region_name_index.py)."""

import pytest
from django.db import connection

from chainboard.scope import prefix_range
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

TABLE = Enterprise._meta.db_table


def indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return {
        name: info["columns"]
        for name, info in constraints.items()
        if info["index"] and not info["unique"] and not info["primary_key"]
    }


def test_the_region_is_indexed_with_the_name_and_not_alone():
    columns = list(indexes().values())
    # PostgreSQL also lists the included key, which its index-only scan reads; SQLite's entries hold it.
    assert (
        ["region_id", "name", "id"] if connection.vendor == "postgresql" else ["region_id", "name"]
    ) in columns
    assert ["region_id"] not in columns  # the foreign key's own index and its PostgreSQL _like twin


def test_a_countys_first_names_are_read_from_the_index_alone(world):
    """The search box's window (a county's first 400 names) and a county's page keys: SQLite reads the
    index's entries for the county's codes and never the table's rows."""
    if connection.vendor != "sqlite":
        pytest.skip("the plan is SQLite's (PostgreSQL plans a table this small as a scan)")
    ids = (
        Enterprise.objects.filter(prefix_range("region_id", world.regions["140581"].path))
        .order_by("name")
        .values_list("pk", flat=True)[:400]
    )
    sql, params = ids.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX enterprise_region_name" in plan
    assert {e.name for e in Enterprise.objects.filter(pk__in=list(ids))} == {"潞安府潞绸", "高平其他企业"}
