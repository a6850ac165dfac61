"""Query-count baselines for every list page: the number of queries a list page makes does not grow with
the number of rows it shows (style.md, Tests; netbox/utilities/testing/query_counts.py).

Each list is loaded twice: with a few rows in scope (5, or what the world has when that is more, less
than a page) and with more than a page in scope (a full first page shown). Both must make exactly the baseline
number of queries. When a deliberate change moves a baseline, update BASELINES in the same commit and
say why; an unexplained rise is an N+1 query.

The office user (the chain office of the silk chain, by position) reads every list it may; users and
grants are read by the administrator and the audit trail by the auditor, who alone may.
"""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Grant, User
from chainboard import actions, scope
from chainboard.models import AuditEntry
from chainboard.scope import SystemActor
from chainboard.views.generic import ViewSet
from chains.models import Chain, ChainAttribute, ChainStatistic, Position, PositionKind, Segment, SegmentLink
from enterprises.models import AboveSizeStatus, Contact, Enterprise, Indicator, Membership, Product
from industries.models import IndustryClass
from investment.models import Event, FollowUp, Lead, LeadContact, MacroRegion, Target, Team, TeamMember, Visit
from organisations.models import Organisation, Person
from projects.models import Milestone, ProgressReport, Project, ProjectPlan, SchedulingRound
from regions.models import Region

FEW = 5
PAGE = 25  # the list pages' first page size
AUDIT_PAGE = 50  # the audit trail's page size

# Queries per list page, the same for FEW and MANY rows. Common to every page: the session (read; it is
# written only when it changes or once a minute for the idle time-out), the user, the user's grants and
# positions, the count of their unread notices in the header (chainboard/notices.py: one COUNT).
BASELINES = {
    "regions:region_list": 8,  # + facet: level
    "industries:industryclass_list": 8,  # + facet: level
    "organisations:organisation_list": 8,  # + facet: kind
    "organisations:person_list": 10,  # + facet: organisation (counts, names)
    "accounts:user_list": 9,  # + facet: active
    "accounts:grant_list": 9,  # + facet: role
    "chains:chain_list": 8,  # + facet: level
    "chains:segment_list": 11,  # + facets: chain (counts, names), stream
    "chains:segmentlink_list": 10,  # + facet: chain (counts, names)
    "chains:position_list": 11,  # + facets: chain (counts, names), kind
    "chains:chainattribute_list": 11,  # + facets: chain (counts, names), kind
    "chains:chainstatistic_list": 12,  # + facets: chain (counts, names), metric, year
    "enterprises:enterprise_list": 12,  # + facets: chain (counts, names), role; the page's regions, chains and roles
    "enterprises:membership_list": 11,  # + facets: chain (counts, names), role
    "enterprises:product_list": 8,  # + facet: sample data
    "enterprises:contact_list": 8,  # + facet: sample data
    "enterprises:abovesizestatus_list": 9,  # + facets: year, above size
    "enterprises:indicator_list": 9,  # + facets: period type, year
    "projects:project_list": 12,  # + facets: stage, light; choices: chain, segment, responsible unit
    "projects:projectplan_list": 8,  # + facet: sample data
    "projects:milestone_list": 8,  # + facet: sample data
    "projects:schedulinground_list": 9,  # + facets: status, sample data; choices: chain
    "projects:progressreport_list": 9,  # + facet: sample data; choices: round, chain
    "investment:lead_list": 15,  # + facets: stage, source; choices: chain, team, segment, macro-region, …
    "investment:leadcontact_list": 8,  # + facet: sample data
    "investment:team_list": 8,  # + choices: chain
    "investment:teammember_list": 8,  # + choices: team
    "investment:target_list": 9,  # + choices: chain, team
    "investment:event_list": 9,  # + facet: kind; choices: chain
    "investment:visit_list": 10,  # + choices: lead, team, chain
    "investment:followup_list": 10,  # + choices: lead, person, chain
    "investment:macroregion_list": 7,  # no filter beyond the search
    "problems:problem_list": 14,  # + facets: state, kind (counts, names), rating; choices: kind, chain, unit (the enterprise is a picker)
    "problems:task_list": 11,  # + facet: state; choices: owner unit, chain, project
    "problems:meetingrecord_list": 8,  # + facet: sample data; choices: chain
    "problems:progressnote_list": 9,  # + facet: sample data; choices: problem, task
    "problems:problemkind_list": 7,  # + facet: active
    "audit:auditentry_list": 7,  # the kind filter's choices come from the content-type cache
}

ACTOR = SystemActor("test:query-counts")


def make(instance):
    return actions.create_direct(ACTOR, instance)


# One row in the reader's scope per call; ``i`` keeps names and periods unique.
def region(w, i):
    code = f"140581{200 + i:03d}"
    return Region.objects.create(
        code=code, name=f"镇{i}", level=4, parent=w.regions["140581"], path=code, full_name=f"镇{i}"
    )


def industry_class(w, i):
    return IndustryClass.objects.create(code=f"C17{10 + i:02d}", name=f"类{i}", level=4, parent_id="C")


def organisation(w, i):
    return make(Organisation(name=f"单位{i}", kind="city_bureau", parent=w.organisations["bureau"]))


def person(w, i):
    return make(Person(organisation=w.organisations["bureau"], name=f"联系人{i}"))


def user(w, i):
    u = User(username=f"user{i}", full_name=f"用户{i}", organisation=w.organisations["bureau"])
    u.set_unusable_password()
    return make(u)


def grant(w, i):
    return make(Grant(user=user(w, 100 + i), role="county", region=w.regions["140581"]))


def chain(w, i):
    c = make(Chain(name=f"产业链{i}", region=w.regions["140500"]))
    # The office user runs it: a position on the chain puts it in their scope.
    make(Position(chain=c, kind=PositionKind.OFFICE_MEMBER, user=w.users["office"]))
    return c


def segment(w, i):
    return make(Segment(chain=w.chains["silk"], name=f"环节{i}", order=10 + i))


def segment_link(w, i):
    # A path 服装 → s0 → s1 → ...: every new link is new and closes no cycle.
    upstream = (
        w.segments["服装"] if i == 0 else Segment.objects.get(chain=w.chains["silk"], name=f"链环{i - 1}")
    )
    downstream = make(Segment(chain=w.chains["silk"], name=f"链环{i}", order=20 + i))
    return make(SegmentLink(upstream=upstream, downstream=downstream))


def position(w, i):
    return make(Position(chain=w.chains["silk"], kind=PositionKind.CHIEF_ASSISTANT, title=f"助理{i}"))


def chain_attribute(w, i):
    return make(ChainAttribute(chain=w.chains["silk"], kind="fact", name=f"事实{i}", order=i))


def chain_statistic(w, i):
    return make(
        ChainStatistic(
            chain=w.chains["silk"], metric="output_value", period_type="year", year=1990 + i, value=i
        )
    )


def enterprise(w, i):
    e = make(Enterprise(name=f"丝绸企业{i}", region=w.regions["140581"], industry_class_id="C1741"))
    make(Membership(enterprise=e, chain=w.chains["silk"]))
    return e


def membership(w, i):
    return enterprise(w, i).memberships.get()


def product(w, i):
    return make(Product(enterprise=w.enterprises["jingbai"], name=f"产品{i}"))


def contact(w, i):
    return make(Contact(enterprise=w.enterprises["luanfu"], name=f"联系人{i}"))


def above_size_status(w, i):
    return make(AboveSizeStatus(enterprise=w.enterprises["jingbai"], year=1990 + i))


def indicator(w, i):
    return make(
        Indicator(
            enterprise=w.enterprises["luanfu"], period_type="year", year=1990 + i, output_value=Decimal(i)
        )
    )


def project(w, i):
    return make(
        Project(
            name=f"项目{i}", chain=w.chains["silk"], region=w.regions["140581"], owner=w.enterprises["luanfu"]
        )
    )


def project_plan(w, i):
    return make(ProjectPlan(project=project(w, i), year=2026, planned_investment=Decimal(i)))


def milestone(w, i):
    return make(Milestone(project=project(w, i), name=f"节点{i}"))


def scheduling_round(w, i):
    return make(SchedulingRound(chain=w.chains["silk"], year=2000 + i, month=6))


def progress_report(w, i):
    return make(ProgressReport(round=scheduling_round(w, i), project=project(w, i), progress_pct=Decimal(i)))


def lead(w, i):
    return make(
        Lead(company_name=f"客商{i}", chain=w.chains["silk"], team=team(w, i), segment=w.segments["缫丝"])
    )


def lead_contact(w, i):
    return make(LeadContact(lead=lead(w, i), name=f"联系人{i}"))


def team(w, i):
    return make(Team(name=f"小分队{i}", chain=w.chains["silk"]))


def team_member(w, i):
    return make(TeamMember(team=team(w, i), person=person(w, i)))


def target(w, i):
    return make(Target(chain=w.chains["silk"], year=2000 + i, landed=2))


def event(w, i):
    return make(Event(name=f"推介会{i}", kind="promotion", chain=w.chains["silk"]))


def visit(w, i):
    return make(Visit(lead=lead(w, i), team=team(w, 1000 + i), visited_on=dt.date(2026, 1, 1)))


def follow_up(w, i):
    return make(
        FollowUp(
            lead=lead(w, i),
            description=f"跟进{i}",
            due_on=dt.date(2026, 1, 1),
            responsible_person=person(w, i),
        )
    )


def macro_region(w, i):
    return make(MacroRegion(name=f"区域{i}"))


def problem(w, i):
    from problems.models import Problem, ProblemKind

    kind = ProblemKind.objects.get(name="融资")
    return make(Problem(title=f"诉求{i}", kind=kind, enterprise=w.enterprises["jingbai"]))


def task(w, i):
    from problems.models import Task

    return make(Task(title=f"任务{i}", owner_unit=w.organisations["bureau"], chain=w.chains["silk"]))


def meeting_record(w, i):
    from problems.models import MeetingRecord

    return make(MeetingRecord(title=f"会议{i}", held_on="2026-06-01", chain=w.chains["silk"]))


def progress_note(w, i):
    from problems.models import ProgressNote

    return make(ProgressNote(task=task(w, i), note=f"进展{i}", noted_on="2026-06-01"))


def problem_kind(w, i):
    from problems.models import ProblemKind

    return make(ProblemKind(name=f"类型{i}", order=i))


def audit_entry(w, i):
    return product(w, 1000 + i)  # every write adds a row to the trail


LISTS = [
    # (list URL name, reader, model, factory)
    ("regions:region_list", "office", Region, region),
    ("industries:industryclass_list", "office", IndustryClass, industry_class),
    ("organisations:organisation_list", "office", Organisation, organisation),
    ("organisations:person_list", "office", Person, person),
    ("accounts:user_list", "admin", User, user),
    ("accounts:grant_list", "admin", Grant, grant),
    ("chains:chain_list", "office", Chain, chain),
    ("chains:segment_list", "office", Segment, segment),
    ("chains:segmentlink_list", "office", SegmentLink, segment_link),
    ("chains:position_list", "office", Position, position),
    ("chains:chainattribute_list", "office", ChainAttribute, chain_attribute),
    ("chains:chainstatistic_list", "office", ChainStatistic, chain_statistic),
    ("enterprises:enterprise_list", "office", Enterprise, enterprise),
    ("enterprises:membership_list", "office", Membership, membership),
    ("enterprises:product_list", "office", Product, product),
    ("enterprises:contact_list", "office", Contact, contact),
    ("enterprises:abovesizestatus_list", "office", AboveSizeStatus, above_size_status),
    ("enterprises:indicator_list", "office", Indicator, indicator),
    ("projects:project_list", "office", Project, project),
    ("projects:projectplan_list", "office", ProjectPlan, project_plan),
    ("projects:milestone_list", "office", Milestone, milestone),
    ("projects:schedulinground_list", "office", SchedulingRound, scheduling_round),
    ("projects:progressreport_list", "office", ProgressReport, progress_report),
    ("investment:lead_list", "office", Lead, lead),
    ("investment:leadcontact_list", "office", LeadContact, lead_contact),
    ("investment:team_list", "office", Team, team),
    ("investment:teammember_list", "office", TeamMember, team_member),
    ("investment:target_list", "office", Target, target),
    ("investment:event_list", "office", Event, event),
    ("investment:visit_list", "office", Visit, visit),
    ("investment:followup_list", "office", FollowUp, follow_up),
    ("investment:macroregion_list", "office", MacroRegion, macro_region),
    ("problems:problem_list", "office", "problems.Problem", problem),
    ("problems:task_list", "office", "problems.Task", task),
    ("problems:meetingrecord_list", "office", "problems.MeetingRecord", meeting_record),
    ("problems:progressnote_list", "office", "problems.ProgressNote", progress_note),
    ("problems:problemkind_list", "office", "problems.ProblemKind", problem_kind),
    ("audit:auditentry_list", "auditor", AuditEntry, audit_entry),
]


def test_every_list_page_has_a_baseline():
    assert {name for name, *_ in LISTS} == set(BASELINES)


def test_every_registered_entitys_list_page_is_measured():
    lists = set()
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.views")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, ViewSet) and value is not ViewSet:
                lists.add(value.names()["list"])
    assert lists | {"audit:auditentry_list"} == set(BASELINES)


def fill(w, reader, model, factory, target: int, start: int) -> int:
    """Create rows until ``reader`` has ``target`` in scope; return the next free index."""
    i = start
    while model.objects.restrict(reader, "view").count() < target:
        assert i < start + AUDIT_PAGE + 10, f"{factory.__name__} makes rows outside the reader's scope"
        factory(w, i)
        scope.forget(reader)  # a new position changes the reader's grants
        i += 1
    return i


def queries_for(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize(("url_name", "reader", "model", "factory"), LISTS, ids=[name for name, *_ in LISTS])
def test_a_list_page_makes_the_same_number_of_queries_for_a_few_rows_and_a_full_page(
    client, world, url_name, reader, model, factory
):
    model = apps.get_model(model) if isinstance(model, str) else model
    user = world.users[reader]
    client.force_login(user)
    url = reverse(url_name)
    client.get(url)  # warm caches that are filled once per process (content types)

    page_size = AUDIT_PAGE if model is AuditEntry else PAGE
    next_index = fill(world, user, model, factory, FEW, 0)
    few, response = queries_for(client, url)
    in_scope = model.objects.restrict(user, "view").count()
    assert response.context["page"].paginator.count == in_scope
    assert len(response.context["page"].object_list) == in_scope < page_size

    fill(world, user, model, factory, page_size + 5, next_index)
    many, response = queries_for(client, url)
    assert response.context["page"].paginator.count == model.objects.restrict(user, "view").count()
    assert len(response.context["page"].object_list) == page_size

    assert few == many, f"{url_name}: {few} queries for a few rows, {many} for a full page"
    assert many == BASELINES[url_name], (
        f"{url_name} makes {many} queries; the baseline is {BASELINES[url_name]}. "
        "Update BASELINES only for a deliberate change."
    )


def test_sqlite_reads_the_file_through_memory_mapping_and_a_larger_page_cache(
    settings, tmp_path, django_db_blocker
):
    """A count over a province's enterprises overflows SQLite's own page cache; mapped pages do not.
    (The test database lives in memory, so a file database is opened with the same settings.)"""
    from django.db import connections
    from django.db.backends.sqlite3.base import DatabaseWrapper

    if connections["default"].vendor != "sqlite":
        pytest.skip("SQLite only")
    wrapper = DatabaseWrapper({**connections["default"].settings_dict, "NAME": str(tmp_path / "db.sqlite3")})
    try:
        with django_db_blocker.unblock(), wrapper.cursor() as cursor:
            cursor.execute("PRAGMA mmap_size")
            assert cursor.fetchone()[0] == settings.SQLITE_MMAP_BYTES > 0
            cursor.execute("PRAGMA cache_size")
            assert cursor.fetchone()[0] == -settings.SQLITE_CACHE_KIB < -2000  # above SQLite's 2 MB
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
    finally:
        wrapper.close()


def test_the_global_search_makes_the_same_number_of_queries_for_one_hit_as_for_a_full_group(client, world):
    """Each kind's hits show their region, chains and so on (docs/search.md) from the table's joins and
    annotations: eight hits of a kind cost what one does."""
    from django.core.management import call_command

    office = world.users["office"]
    client.force_login(office)
    call_command("rebuild_search")
    url = f"{reverse('search')}?q=企业"
    silk = world.chains["silk"]

    def enterprise_on_silk(i):
        e = make(Enterprise(name=f"丝绸企业{i}", region=world.regions["140581"]))
        make(Membership(enterprise=e, chain=silk))

    enterprise_on_silk(0)
    queries_for(client, url)  # warm: content types, the session
    one, response = queries_for(client, url)
    assert [len(g["hits"]) for g in response.context["groups"]] == [1]
    for i in range(1, 9):
        enterprise_on_silk(i)
    many, response = queries_for(client, url)
    enterprises = next(g for g in response.context["groups"] if g["items"][0].__class__ is Enterprise)
    assert len(enterprises["hits"]) == 8
    assert one == many, f"the search makes {one} queries for one hit per kind, {many} for full groups"
