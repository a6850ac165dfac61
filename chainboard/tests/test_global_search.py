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


# ---- ranking and what a hit shows (docs/search.md) ---------------------------------------------------------


@pytest.fixture
def wider_country(world):
    """Regions elsewhere in China and an industry class that match the same words as the city's records,
    and the city configured (晋城市)."""
    from chainboard import actions
    from chainboard.models import CityConfig
    from chainboard.scope import SystemActor
    from industries.models import IndustryClass
    from regions.models import Region

    actions.create_direct(SystemActor("test"), CityConfig(region=world.regions["140500"], name="晋城市"))
    jiangsu = Region.objects.create(code="320000", name="江苏省", level=1, path="32", full_name="江苏省")
    yangzhou = Region.objects.create(
        code="321000", name="扬州市", level=2, parent=jiangsu, path="3210", full_name="江苏省 扬州市"
    )
    Region.objects.create(
        code="321084",
        name="高邮市",
        level=3,
        parent=yangzhou,
        path="321084",
        full_name="江苏省 扬州市 高邮市",
    )
    Region.objects.filter(code="140581").update(full_name="山西省 晋城市 高平市")
    IndustryClass.objects.create(code="C1711", name="高平棉纺纱加工", level=4, parent_id="C")
    call_command("rebuild_search")


def hits(client, q: str) -> list[tuple[str, list[dict]]]:
    response = client.get(reverse("search"), {"q": q})
    assert response.status_code == 200
    return [(str(g["label"]), g["hits"]) for g in response.context["groups"]]


def test_the_users_working_records_come_before_reference_data(client, world, wider_country):
    client.force_login(world.users["county"])
    groups = [label for label, _hits in hits(client, "高")]
    # The enterprise first, then its products and contacts; the regions and classes come last.
    assert groups[0] == "企业" and groups[-2:] == ["行政区划", "行业分类"], groups


def test_the_citys_own_regions_come_before_regions_elsewhere_each_with_its_province(
    client, world, wider_country
):
    client.force_login(world.users["county"])
    regions = dict(hits(client, "高"))["行政区划"]
    assert [h["object"].name for h in regions] == ["高平市", "高邮市"]
    assert regions[0]["details"] == ["山西省 晋城市 高平市"]
    assert regions[1]["details"] == ["江苏省 扬州市 高邮市"]
    html = client.get(reverse("search"), {"q": "高"}).content.decode()
    assert "江苏省 扬州市 高邮市" in html


def test_an_enterprise_hit_shows_its_full_name_county_and_chain(client, world, wider_country):
    from chainboard import actions
    from chainboard.scope import SystemActor

    luanfu = actions.save_fields(SystemActor("test"), world.enterprises["luanfu"], short_name="潞绸")
    client.force_login(world.users["county"])
    (hit,) = [h for h in dict(hits(client, "潞安"))["企业"] if h["object"].pk == luanfu.pk]
    assert hit["title"] == "潞安府潞绸"  # not the short name alone
    assert hit["details"] == ["高平市", "丝麻纺织服装产业链·成员企业"]


def test_a_segment_hit_names_its_chain_and_a_class_hit_its_code(client, world, wider_country):
    client.force_login(world.users["office"])
    segments = dict(hits(client, "缫丝"))["环节"]
    assert segments[0]["title"] == "缫丝" and "丝麻纺织服装产业链" in segments[0]["details"]
    classes = dict(hits(client, "缫丝"))["行业分类"]
    assert classes[0]["title"] == "C1741 缫丝加工"


def test_a_kind_without_an_index_matches_latin_letters_in_any_case_and_chinese_as_written(client, world):
    from chainboard import actions
    from chainboard.scope import SystemActor
    from chains.models import Segment

    actions.create_direct(SystemActor("test"), Segment(chain=world.chains["silk"], name="PLA纤维织造"))
    client.force_login(world.users["office"])
    for q in ("pla", "PLA", "Pla纤维", "纤维织造"):
        assert found(client, q).get("环节") == ["丝麻纺织服装产业链 · PLA纤维织造"], q
    assert "环节" not in found(client, "PLB")


def test_a_units_box_counts_only_its_own_kinds_and_a_region_by_code_or_name(client, world):
    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard import actions
    from chainboard.scope import SystemActor

    actor = SystemActor("test")
    unit = User(username="unit_box")
    unit.set_unusable_password()
    actions.create_direct(actor, unit)
    actions.create_direct(actor, Grant(user=unit, role=Role.UNIT, organisation=world.organisations["bureau"]))
    client.force_login(unit)
    # A unit sees no enterprise (its condition is empty), yet the reference data it may read is found.
    by_code = found(client, "140581")
    assert by_code.get("行政区划") == ["高平市", "米山镇"], by_code
    assert found(client, "高平").get("行政区划")[0] == "高平市"
    assert "企业" not in found(client, "企业")


def test_every_kinds_first_keys_are_read_together_each_as_its_model_has_them(world):
    from chainboard.views.search import _first_found
    from enterprises.models import Enterprise
    from regions.models import Region

    jingbai = world.enterprises["jingbai"]
    found = _first_found(
        [
            Enterprise.objects.none(),  # nothing in scope: no part of the statement
            Region.objects.filter(code__startswith="140581"),  # a key that is text
            Enterprise.objects.filter(pk=jingbai.pk),
            Region.objects.all(),
        ],
        2,
    )
    assert (found[0], sorted(found[1]), found[2]) == ([], ["140581", "140581101"], [jingbai.pk])
    assert len(found[3]) == 2 and set(found[3]) <= set(Region.objects.values_list("pk", flat=True))


# ---- the header box's drop-down, filled as the user types (docs/search.md) ---------------------------------


def box(client, q: str):
    """What the header box's htmx request gets: aimed at its drop-down."""
    from chainboard.views.search import BOX_TARGET

    return client.get(reverse("search"), {"q": q}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=BOX_TARGET)


def test_the_header_box_drops_down_the_matches_without_the_page(client, world):
    from chainboard.views.search import BOX_PER_KIND

    call_command("rebuild_search")
    client.force_login(world.users["office"])
    response = box(client, "jb")
    assert response.status_code == 200
    html = response.content.decode()
    assert world.enterprises["jingbai"].get_absolute_url() in html
    assert "<html" not in html and 'id="sidebar-menu"' not in html  # the hits alone, not a page
    assert f"{reverse('search')}?q=jb" in html  # and the way to every result
    assert all(len(group["hits"]) <= BOX_PER_KIND for group in response.context["groups"])
    # One address, two answers: a cache keeps them apart.
    assert {"HX-Request", "HX-Target"} <= {v.strip() for v in response["Vary"].split(",")}
    # The same search as a page is the whole page.
    page = client.get(reverse("search"), {"q": "jb"}).content.decode()
    assert 'id="sidebar-menu"' in page and world.enterprises["jingbai"].get_absolute_url() in page


def test_the_header_box_shows_at_most_its_own_number_of_hits_a_kind(client, world):
    from chainboard import actions, audit
    from chainboard.testing import SystemActor
    from chainboard.views.search import BOX_PER_KIND, PER_KIND
    from enterprises.models import Enterprise, Membership

    actor, region = SystemActor("test"), world.enterprises["luanfu"].region
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="test:more"):
        for i in range(PER_KIND + 2):
            enterprise = actions.create_direct(actor, Enterprise(name=f"测试企业{i:02d}", region=region))
            actions.create_direct(actor, Membership(enterprise=enterprise, chain=world.chains["silk"]))
    call_command("rebuild_search")
    client.force_login(world.users["office"])
    in_box = {str(g["label"]): g for g in box(client, "测试企业").context["groups"]}
    on_page = {str(g["label"]): g for g in client.get(reverse("search"), {"q": "测试企业"}).context["groups"]}
    label = str(Enterprise._meta.verbose_name_plural)
    assert [str(o) for o in in_box[label]["items"]] == [str(o) for o in on_page[label]["items"]][
        :BOX_PER_KIND
    ]
    # The drop-down is shorter than the page, and counts the same matches.
    assert len(in_box[label]["items"]) == BOX_PER_KIND < len(on_page[label]["items"]) == PER_KIND
    assert in_box[label]["count"] == on_page[label]["count"] == PER_KIND + 2


def test_the_header_box_holds_the_users_scope_and_is_empty_without_a_term(client, world):
    call_command("rebuild_search")
    client.force_login(world.users["county"])
    html = box(client, "企业").content.decode()
    assert world.enterprises["gaoping_other"].get_absolute_url() in html
    assert world.enterprises["zezhou_other"].get_absolute_url() not in html
    assert world.enterprises["jingbai"].get_absolute_url() not in html
    assert box(client, "  ").content.decode().strip() == ""  # nothing to show: the drop-down stays shut
