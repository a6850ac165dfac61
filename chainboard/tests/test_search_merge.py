"""The search index's segments (SQLite FTS5, docs/search.md, "Segments"): a fill leaves one b-tree per
table, writes add more, and the nightly ``search-merge`` job merges them back into one a step at a time,
the answers unchanged."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from chainboard import actions, audit, scheduler, search
from chainboard.scope import SystemActor
from enterprises.models import Enterprise

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 segments are SQLite's")


def names(term: str) -> set[str]:
    return set(Enterprise.objects.filter(search.matches(Enterprise, term)).values_list("name", flat=True))


def write_some(world, n: int) -> None:
    actor = SystemActor("test")
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="test:segments"):
        for i in range(n):
            actions.create_direct(actor, Enterprise(name=f"分段测试企业{i}", region=world.regions["140581"]))


def write_until_segmented(world) -> int:
    """Write enterprises one by one (each write's savepoint flushes FTS5's pending entries into a new
    segment, which its automerge merges now and then) until both tables hold several; how many."""
    for n in range(1, 41):
        write_some(world, 1)
        if search.segment_count(Enterprise, "words") > 1 and search.segment_count(Enterprise, "pinyin") > 1:
            return n
    raise AssertionError("the writes left one segment")


@sqlite_only
def test_a_fill_leaves_one_b_tree_per_table(world):
    write_until_segmented(world)
    call_command("rebuild_search", "enterprises.Enterprise", stdout=io.StringIO())
    assert search.segment_count(Enterprise, "words") == 1
    assert search.segment_count(Enterprise, "pinyin") == 1


@sqlite_only
def test_merging_leaves_one_b_tree_and_the_same_answers(world, monkeypatch):
    written = write_until_segmented(world)
    before = {term: names(term) for term in ("分段", "测试企业0", "fdcs", "景柏", "jb", "有")}
    monkeypatch.setattr(search, "MERGE_PAGES", 1)  # many small steps, each its own transaction
    steps = search.merge_segments(Enterprise)
    words, pinyin = (search._names("enterprises_enterprise")[w] for w in ("words", "pinyin"))
    assert steps[words] >= 1 and steps[pinyin] >= 1
    assert search.segment_count(Enterprise, "words") == 1
    assert search.segment_count(Enterprise, "pinyin") == 1
    assert {term: names(term) for term in before} == before
    assert len(before["分段"]) == written and before["景柏"] == {"景柏服饰"}
    # Already one b-tree: nothing to do.
    assert set(search.merge_segments(Enterprise).values()) == {0}


def test_the_merge_is_a_nightly_job_that_does_nothing_on_postgresql(world):
    registration = scheduler.REGISTRY["search-merge"]
    assert registration.task == "chainboard.tasks.merge_search_index"
    from chainboard.tasks import merge_search_index

    result = merge_search_index.call()
    if connection.vendor == "sqlite":
        assert set(result) >= {search._names("enterprises_enterprise")["words"]}
    else:
        assert result == {}
