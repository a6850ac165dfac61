"""An enterprise's memberships by role from one index, (enterprise, role), that also answers every lookup
on the enterprise (enterprises/migrations/0010_membership_enterprise_role.py): the role facet over some
enterprises (a county's, a search's matches) never reads a membership's row."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from chainboard.facets import facet_counts
from enterprises.models import Enterprise, Membership
from enterprises.views import EnterpriseViewSet

pytestmark = pytest.mark.django_db

TABLE = Membership._meta.db_table


def indexes() -> list[list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return [
        info["columns"]
        for info in constraints.values()
        if info["index"] and not info["unique"] and not info["primary_key"]
    ]


def test_the_enterprise_is_indexed_with_the_role_and_not_alone():
    columns = indexes()
    assert ["enterprise_id", "role"] in columns
    assert ["role", "enterprise_id"] in columns  # the role facet over every membership, in order
    assert ["enterprise_id"] not in columns  # the foreign key's own index and its PostgreSQL _like twin


def test_a_countys_role_facet_reads_the_index_alone_and_counts_as_the_rows_say(world):
    user = world.users["county"]
    request = RequestFactory().get("/enterprises/")
    request.user = user
    with CaptureQueriesContext(connection) as ctx:
        found = facet_counts(EnterpriseViewSet, request, Enterprise.objects.restrict(user, "view"))
    roles = {str(v["label"]): v["count"] for f in found if f["name"] == "role" for v in f["values"]}
    in_county = Enterprise.objects.restrict(user, "view")
    by_hand = {}
    for role in {(m.enterprise_id, m.role) for m in Membership.objects.filter(enterprise__in=in_county)}:
        label = str(dict(Membership._meta.get_field("role").choices)[role[1]])
        by_hand[label] = by_hand.get(label, 0) + 1
    assert roles == by_hand and roles
    if connection.vendor != "sqlite":
        return  # PostgreSQL plans a table this small as a scan
    (sql,) = [q["sql"] for q in ctx.captured_queries if "COUNT(DISTINCT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX membership_enterprise_role" in plan
