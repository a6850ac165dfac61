import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def found(client, q: str) -> dict[str, list[str]]:
    response = client.get(reverse("search"), {"q": q})
    assert response.status_code == 200
    return {str(g["label"]): [str(i) for i in g["items"]] for g in response.context["groups"]}


def test_the_search_box_finds_records_of_several_kinds_by_pinyin_and_chinese(client, world):
    call_command("rebuild_search")
    client.force_login(world.users["office"])
    groups = found(client, "jb")
    assert any("景柏服饰" in items for items in groups.values())
    groups = found(client, "丝麻")
    assert any("丝麻纺织服装产业链" in items for items in groups.values())


def test_the_search_box_never_shows_records_outside_the_users_scope(client, world):
    call_command("rebuild_search")
    client.force_login(world.users["county"])
    everything = [name for items in found(client, "企业").values() for name in items]
    assert "高平其他企业" in everything
    assert "泽州其他企业" not in everything and "景柏服饰" not in everything


def test_the_auditor_finds_no_business_record(client, world):
    client.force_login(world.users["auditor"])
    assert found(client, "景柏") == {}


def test_facet_counts_beside_the_enterprise_filters_count_only_rows_in_scope(client, world):
    client.force_login(world.users["county"])
    response = client.get(reverse("enterprises:enterprise_list"))
    chains = {
        str(v["label"]): v["count"]
        for f in response.context["facets"]
        if f["name"] == "chain"
        for v in f["values"]
    }
    assert chains == {"丝麻纺织服装产业链": 1, "其他产业链": 1}  # 高平市: 潞安府潞绸 and 高平其他企业
    # A chosen chain narrows the other facets but keeps the alternatives of its own.
    silk = world.chains["silk"].pk
    response = client.get(reverse("enterprises:enterprise_list"), {"chain": silk})
    roles = {
        v["label"]: v["count"] for f in response.context["facets"] if f["name"] == "role" for v in f["values"]
    }
    assert sum(roles.values()) == 1
    chains = [v for f in response.context["facets"] if f["name"] == "chain" for v in f["values"]]
    assert len(chains) == 2 and any(v["active"] for v in chains)


def test_child_lists_search_by_their_enterprise_by_chinese_and_pinyin(client, world):
    """Every list searches: an enterprise's indicators, memberships and above-size statuses are found
    by the enterprise's name or its pinyin initials, within the reader's scope."""
    call_command("rebuild_search")
    client.force_login(world.users["office"])
    for url_name in ("enterprises:indicator_list", "enterprises:membership_list"):
        for term in ("景柏", "jb", "jingbai"):
            rows = client.get(reverse(url_name), {"q": term}).context["rows"]
            assert {r["object"].enterprise.name for r in rows} == {"景柏服饰"}, (url_name, term)
    client.force_login(world.users["county"])  # 高平市: 景柏服饰 (泽州县) is outside
    rows = client.get(reverse("enterprises:indicator_list"), {"q": "jb"}).context["rows"]
    assert rows == []
    rows = client.get(reverse("enterprises:indicator_list"), {"q": "潞安"}).context["rows"]
    assert [r["object"].enterprise.name for r in rows] == ["潞安府潞绸"]
