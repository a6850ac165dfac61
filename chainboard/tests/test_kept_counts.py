"""The enterprises per membership role and per chain, kept on write by database triggers
(``Membership.kept``; chainboard.schema.kept_count): equal to a count of the rows after every kind of
write, read by the facets of the list of every enterprise instead of grouping every membership, and kept
right when two transactions add the first membership of one pair at once (docs/lists.md, "Counts kept on
write")."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard import actions, keptcounts
from chainboard.models import KeptCount
from chainboard.scope import SystemActor
from chainboard.tests.test_list_plans import _every_chain_office, by_hand
from enterprises.models import Enterprise, Membership, MembershipRole

ACTOR = SystemActor("test:kept")
LIST = "enterprises:enterprise_list"


def kept() -> dict:
    return {
        group: dict(keptcounts.counts(Membership, "enterprise", group) or []) for group in ("role", "chain")
    }


def counted() -> dict:
    """The same figures counted from the rows."""
    return {
        group: {
            row[f"{group}_id" if group == "chain" else group]: row["n"]
            for row in Membership.objects.order_by()
            .values(f"{group}_id" if group == "chain" else group)
            .annotate(n=Count("enterprise", distinct=True))
        }
        for group in ("role", "chain")
    }


@pytest.mark.django_db
def test_the_kept_counts_follow_every_kind_of_write(world):
    silk, other = world.chains["silk"], world.chains["other"]
    assert kept() == counted() and kept()["role"]  # filled for the world's memberships
    first = actions.create_direct(ACTOR, Enterprise(name="示例计数企业", region_id="140581"))
    # Through the write path, then a second chain with the same role: one enterprise, counted once.
    actions.create_direct(ACTOR, Membership(enterprise=first, chain=silk, role="core"))
    Membership.objects.bulk_create([Membership(enterprise=first, chain=other, role="core")])
    assert kept() == counted()
    before = kept()["role"].get("core", 0)
    # One of its two memberships changes role: still a core enterprise, now a leader too.
    Membership.objects.filter(enterprise=first, chain=other).update(role="leader")
    assert kept() == counted() and kept()["role"]["core"] == before
    # A membership moved to another enterprise by a stale instance's save, then deleted two ways.
    moved = Membership.objects.get(enterprise=first, chain=silk)
    second = actions.create_direct(ACTOR, Enterprise(name="示例计数企业二", region_id="140525"))
    moved.enterprise = second
    moved.save()
    assert kept() == counted()
    actions.delete(ACTOR, Membership.objects.get(pk=moved.pk))
    assert kept() == counted()
    Membership.objects.filter(enterprise=first).delete()
    assert kept() == counted()
    # An enterprise deleted with its memberships (the collector's cascade).
    third = actions.create_direct(ACTOR, Enterprise(name="示例计数企业三", region_id="140581"))
    actions.create_direct(ACTOR, Membership(enterprise=third, chain=other, role="leader"))
    assert kept() == counted()
    Enterprise.objects.filter(pk=third.pk).delete()
    assert kept() == counted()
    # Every membership gone: nothing left to count.
    Membership.objects.all().delete()
    assert kept() == {"role": {}, "chain": {}} == counted()


def _facets(response) -> dict:
    return {f["name"]: {str(v["label"]): v["count"] for v in f["values"]} for f in response.context["facets"]}


@pytest.mark.django_db
def test_the_list_of_every_enterprise_reads_its_facets_from_the_kept_counts(client, world):
    """The office over every enterprise, no filter: both facets as the rows give them, read from the kept
    counts (no grouping of the memberships), and a membership added shows in them at once."""
    client.force_login(_every_chain_office())

    def facets():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(LIST))
        assert response.status_code == 200
        memberships = list(Membership.objects.select_related("chain"))
        assert _facets(response) == by_hand(Enterprise.objects.all(), memberships)
        sql = [q["sql"] for q in ctx.captured_queries]
        assert len([q for q in sql if "chainboard_keptcount" in q]) == 2  # one read per facet
        assert not [q for q in sql if "COUNT(" in q and '"enterprises_membership"' in q]
        return _facets(response)

    shown = facets()
    newcomer = actions.create_direct(ACTOR, Enterprise(name="示例新链核", region_id="140581"))
    actions.create_direct(ACTOR, Membership(enterprise=newcomer, chain=world.chains["silk"], role="core"))
    after = facets()
    core = str(MembershipRole.CORE.label)
    assert after["role"].get(core, 0) == shown["role"].get(core, 0) + 1
    assert sum(after["chain"].values()) == sum(shown["chain"].values()) + 1


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"chain": "silk"}, {"q": "潞"}], ids=["filtered", "searched"])
def test_a_narrower_list_counts_its_own_rows(client, world, params):
    """A filtered or searched list groups its own memberships: the kept counts are of every row. Only a
    facet whose own filter is all that is set (the chain facet of a list filtered by a chain) counts over
    every row, from them; a county user's never does."""
    params = {k: world.chains[v].pk if k == "chain" else v for k, v in params.items()}
    for user, whole in ((_every_chain_office(), "chain" in params), (world.users["county"], False)):
        client.force_login(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(LIST), params)
        assert response.status_code == 200
        read = [q["sql"] for q in ctx.captured_queries if "chainboard_keptcount" in q["sql"]]
        assert len(read) == whole and all(".chain_id.enterprise_id" in sql for sql in read)
        memberships = list(Membership.objects.select_related("chain"))
        in_scope = Enterprise.objects.restrict(user)
        if whole:
            assert _facets(response)["chain"] == by_hand(in_scope, memberships)["chain"]


@pytest.mark.django_db
def test_folding_keeps_the_sums(world):
    """PostgreSQL adds a row of changes per writing statement; the job folds them to one per value.
    SQLite keeps one per value from the start."""
    for index in range(3):
        made = actions.create_direct(ACTOR, Enterprise(name=f"示例折叠{index}", region_id="140581"))
        actions.create_direct(ACTOR, Membership(enterprise=made, chain=world.chains["silk"], role="core"))
    before = kept()
    removed = keptcounts.fold()
    assert kept() == before == counted()
    per_value = KeptCount.objects.values("name", "value").annotate(rows=Count("id"))
    assert {row["rows"] for row in per_value} == {1}
    assert (removed > 0) == (connection.vendor == "postgresql")


@pytest.fixture
def committed(audit_triggers_lifted_for_flush, world):
    yield world


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite's writers take turns")
def test_two_transactions_adding_one_pair_at_once_count_it_once(committed):
    world = committed
    """Two transactions each give one enterprise its first core membership, on two chains, at once: the
    second waits for the first (the enterprise's row is locked by the count's trigger) and then sees its
    row, so the enterprise counts once."""
    enterprise = actions.create_direct(ACTOR, Enterprise(name="示例并发企业", region_id="140581"))
    silk, other = world.chains["silk"], world.chains["other"]
    before = kept()["role"].get("core", 0)
    written, release, errors = threading.Event(), threading.Event(), []

    def add(chain, hold: bool):
        try:
            with transaction.atomic():
                Membership.objects.create(enterprise=enterprise, chain=chain, role="core")
                if hold:
                    written.set()
                    release.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    first = threading.Thread(target=add, args=(silk, True))
    first.start()
    assert written.wait(timeout=30)
    second = threading.Thread(target=add, args=(other, False))
    second.start()
    # Until the second is either waiting on a lock or done (without the lock it would finish at once).
    with connection.cursor() as cursor:
        while second.is_alive():
            cursor.execute("SELECT COUNT(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                break
    waited = second.is_alive()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not errors, errors
    assert waited
    assert kept()["role"]["core"] == before + 1 == counted()["role"]["core"]


@pytest.mark.django_db
def test_the_scheduler_folds_the_kept_counts(world):
    from chainboard import scheduler
    from chainboard.tasks import fold_kept_counts

    registration = scheduler.REGISTRY["fold-kept-counts"]
    assert registration.task == "chainboard.tasks.fold_kept_counts"
    made = actions.create_direct(ACTOR, Enterprise(name="示例折叠任务", region_id="140581"))
    actions.create_direct(ACTOR, Membership(enterprise=made, chain=world.chains["other"], role="leader"))
    before = kept()
    removed = fold_kept_counts.call()
    assert kept() == before == counted()
    assert (removed > 0) == (connection.vendor == "postgresql")
