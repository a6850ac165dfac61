"""The Jincheng demo's investment attraction (招商): what the TA0302 reply says (二(五) 精准招商对接 and 三(二)),
with only what it says, and sample teams, leads, visits and follow-ups (示例数据) so that the ``investment``
demo user has work on the first log-in (docs/investment.md, The demo's investment facts).

From the reply: the five macro-regions visited; every event it names, with its edition count, 广州 as the
only place, no date beyond "before 2024-07-25" (the reply's date) and no outcome; the chain's yearly
target of 2 landed projects (mirrored from ``Chain.yearly_landing_target`` into a Target row).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from chainboard import actions
from chains.models import Chain
from enterprises.models import Enterprise
from regions.models import Region

SRC = "TA0302 reply"
SILK = "丝麻纺织服装产业链"
SECTION = f"{SRC}, 二(五) 精准招商对接"
REPLY_DATE = dt.date(2024, 7, 25)
MODEL = "政府+链主企业+产业园"

# The regions the teams went to (赴京津冀、长三角、珠三角、中原城市群和成渝地区): the five macro-regions are
# reference data (investment/macro_regions.py, created by a migration); the visit is a fact of the chain.
VISITED = "赴京津冀、长三角、珠三角、中原城市群和成渝地区等发达地区开展服饰等现代服务业领域招商推介活动"
MODEL_FACT = "聚焦产业链关键领域、薄弱环节开展小分队精准对接"

# name, kind, series, edition, place, place region, participants (enterprise names), organisers, source
LETTER_EVENTS = [
    (
        "中国国际纺织面料及辅料博览会",
        "expo",
        "中国国际纺织面料及辅料博览会",
        None,
        "",
        None,
        ["潞安府潞绸"],
        "",
        f"{SECTION}：潞安府等丝麻纺织服装产业链相关企业亮相会场",
    ),
    (
        "“山西之夜”活动（广州）",
        "promotion",
        "山西之夜",
        None,
        "广州",
        "440100",
        ["潞安府潞绸"],
        "",
        f"{SECTION}：在广州举办的“山西之夜”活动上，潞安府等企业亮相会场",
    ),
    *[
        (
            f"工业产品供需对接推介活动（第{n}届）",
            "matchmaking",
            "工业产品供需对接推介活动",
            n,
            "",
            None,
            [],
            "晋城市",
            f"{SECTION}：连续举办三届工业产品供需对接推介活动",
        )
        for n in (1, 2, 3)
    ],
    (
        "专业镇龙头企业优质产品展销推介会",
        "promotion",
        "",
        None,
        "",
        None,
        [],
        "晋城市",
        f"{SECTION}：专业镇龙头企业优质产品展销推介会",
    ),
    (
        "晋城市产业链专业镇推介大会",
        "investment_fair",
        "",
        None,
        "",
        None,
        [],
        "晋城市",
        f"{SECTION}：借第八届全国铸造职业技能竞赛东风举办",
    ),
    *[
        (
            f"山西特色专业镇投资贸易博览会（参加的两届之{which}）",
            "expo",
            "山西特色专业镇投资贸易博览会",
            None,
            "",
            None,
            [],
            "",
            f"{SECTION}：高标准组织参加两届山西特色专业镇投资贸易博览会，并设立丝麻纺织服装专区",
        )
        for which in ("一", "二")
    ],
]


def _create(actor, obj, **m2m):
    obj = actions.create_direct(actor, obj)
    for name, values in m2m.items():
        getattr(obj, name).set(values)
    return obj


def load(actor) -> dict[str, int]:
    """The reply's facts. Idempotent: what exists (by name) is left as it is."""
    from chains.models import AttributeKind, ChainAttribute
    from investment.macro_regions import link_provinces
    from investment.models import Event, Target

    silk = Chain.objects.get(name=SILK, level="city")
    link_provinces()  # the divisions are loaded now: the macro-regions get their provinces
    facts = 0
    for kind, name in ((AttributeKind.FACT, VISITED), (AttributeKind.MODEL, MODEL_FACT)):
        if not ChainAttribute.objects.filter(chain=silk, name=name).exists():
            actions.create_direct(actor, ChainAttribute(chain=silk, kind=kind, name=name, source=SECTION))
            facts += 1
    events = 0
    for name, kind, series, edition, place, region, participants, organisers, source in LETTER_EVENTS:
        if Event.objects.filter(name=name).exists():
            continue
        _create(
            actor,
            Event(
                name=name,
                kind=kind,
                series=series,
                edition=edition,
                date_value=REPLY_DATE,
                date_precision="before",
                place=place,
                place_region=Region.objects.filter(code=region).first() if region else None,
                organisers=organisers,
                chain=silk,
                source=source,
            ),
            participants=Enterprise.objects.filter(name__in=participants),
        )
        events += 1
    year = timezone.localdate().year
    if (
        silk.yearly_landing_target is not None
        and not Target.objects.filter(chain=silk, team=None, year=year).exists()
    ):
        # The chain's field is the source (docs/investment.md, Targets): the row mirrors it.
        actions.create_direct(
            actor,
            Target(
                chain=silk,
                year=year,
                landed=silk.yearly_landing_target,
                source=f"{SRC}, 三(二) 产业链每年至少招引2个项目落地",
            ),
        )
    return {"investment_facts": facts, "events": events}


# ---- sample teams, leads, visits, follow-ups (示例数据) -------------------------------------------------
SAMPLE = "Sample data"
SAMPLE_TEAMS = [
    # name, macro-regions aimed at, weak segments aimed at (names), target: opened, signed, landed, amount
    ("示例：长三角招商小分队", ["长三角", "珠三角"], ["丝麻织造", "染整"], (12, 2, 1, Decimal("200000000"))),
    (
        "示例：京津冀招商小分队",
        ["京津冀", "中原城市群", "成渝"],
        ["服装服饰"],
        (8, 1, 1, Decimal("100000000")),
    ),
]
# company, team index, home province, home macro-region, source kind, stage, planned investment (yuan),
# months before today it was opened
SAMPLE_LEADS = [
    ("示例：苏州锦丝纺织有限公司", 0, "320000", "长三角", "team_visit", "contact", None, 1),
    ("示例：杭州云裳服饰股份有限公司", 0, "330000", "长三角", "event", "negotiating", 80_000_000, 4),
    ("示例：绍兴恒润印染集团", 0, "330000", "长三角", "referral", "signed", 150_000_000, 8),
    ("示例：南通麻韵家纺有限公司", 0, "320000", "长三角", "team_visit", "landed", 60_000_000, 14),
    ("示例：保定北织服装有限公司", 1, "130000", "京津冀", "team_visit", "negotiating", 30_000_000, 3),
    ("示例：郑州华服制衣有限公司", 1, "410000", "中原城市群", "online", "abandoned", None, 6),
    ("示例：天津丝路科技有限公司", 1, "120000", "京津冀", "event", "in_production", 45_000_000, 26),
]


def _months_ago(today: dt.date, months: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, min(today.day, 28))


def _add_months(day: dt.date, months: int) -> dt.date:
    return _months_ago(day, -months)


def load_samples(actor, today: dt.date | None = None) -> dict[str, int]:
    """Sample teams with members and targets, leads in every stage, visits and follow-ups, one lead
    converted to a project (示例数据). Idempotent: nothing is added once the sample teams exist. Run after
    the demo users exist (``chainboard demo-users``): the ``investment`` user leads a team, is responsible
    for the leads and has a follow-up overdue."""
    from accounts.models import User
    from chains.models import Segment
    from investment.models import Event, FollowUp, Lead, MacroRegion, Target, Team, TeamMember, Visit

    from .projects import _person_for

    today = today or timezone.localdate()
    silk = Chain.objects.get(name=SILK, level="city")
    if Team.objects.filter(chain=silk, is_sample=True).exists():
        return {"sample_leads": 0}
    sample = {"is_sample": True, "source": SAMPLE}
    investment_user = User.objects.filter(username="investment").first()
    office_user = User.objects.filter(username="office").first()
    me = _person_for(actor, investment_user) if investment_user else None
    colleague = _person_for(actor, office_user) if office_user else None
    macros = {m.name: m for m in MacroRegion.objects.all()}
    segments = {s.name: s for s in Segment.objects.filter(chain=silk)}
    teams = []
    for i, (name, regions, weak, goals) in enumerate(SAMPLE_TEAMS):
        team = _create(
            actor,
            Team(name=name, chain=silk, leader=me if i == 0 else colleague, model_note=MODEL, **sample),
            target_macro_regions=[macros[r] for r in regions if r in macros],
            target_segments=[segments[s] for s in weak if s in segments],
        )
        for person, role in (
            (me, "leader" if i == 0 else "member"),
            (colleague, "member" if i == 0 else "leader"),
        ):
            if person is not None:
                actions.create_direct(actor, TeamMember(team=team, person=person, role=role, **sample))
        opened, signed, landed, amount = goals
        actions.create_direct(
            actor,
            Target(
                chain=silk,
                team=team,
                year=today.year,
                leads_opened=opened,
                signed=signed,
                landed=landed,
                amount=amount,
                **sample,
            ),
        )
        teams.append(team)
    event = actions.create_direct(
        actor,
        Event(
            name="示例：长三角丝麻产业招商推介会",
            kind="promotion",
            date_value=_months_ago(today, 5),
            date_precision="month",
            place="苏州",
            chain=silk,
            organisers="示例：市工信局、景柏服饰",
            **sample,
        ),
    )
    referrer = Enterprise.objects.filter(name="景柏服饰").first()
    stage_order = ["negotiating", "signed", "landed", "in_production"]
    leads = {}
    for company, team_i, province, macro, source_kind, stage, planned, months in SAMPLE_LEADS:
        opened = _months_ago(today, months)
        dates = {"opened_on": opened}
        reached = stage_order[: stage_order.index(stage) + 1] if stage in stage_order else []
        if stage == "abandoned":
            dates["abandoned_on"] = _add_months(opened, 2)
        day = opened
        for step in reached:
            day = min(_add_months(day, 2 if step != "in_production" else 8), today)
            dates[f"{step}_on"] = day
        lead = actions.create_direct(
            actor,
            Lead(
                company_name=company,
                home_region=Region.objects.filter(code=province).first(),
                home_macro_region=macros.get(macro),
                chain=silk,
                segment=segments.get("丝麻织造" if team_i == 0 else "服装服饰"),
                planned_investment=Decimal(planned) if planned else None,
                source_kind=source_kind,
                event=event if source_kind == "event" else None,
                referrer=referrer if source_kind == "referral" else None,
                team=teams[team_i],
                responsible_person=me,
                landing_region=Region.objects.filter(code="140525" if team_i == 0 else "140581").first(),
                next_step="" if stage == "abandoned" else "示例：约企业负责人来晋城考察园区",
                next_step_on=None if stage == "abandoned" else today + dt.timedelta(days=10),
                opened_on=opened,
                **sample,
            ),
        )
        leads[company] = (lead, stage, dates)
    converted = _advance(actor, leads, today)
    # Visits and what they agreed: the follow-ups, one overdue for the investment user.
    first_lead = leads[SAMPLE_LEADS[1][0]][0]
    visit = _create(
        actor,
        Visit(
            lead=first_lead,
            team=teams[0],
            visited_on=today - dt.timedelta(days=20),
            place="杭州",
            met_whom="示例：企业总经理、投资部负责人",
            agreed="示例：两周内寄送园区资料；一个月内来晋城考察。",
            **sample,
        ),
        visitors=[p for p in (me, colleague) if p is not None],
    )
    actions.create_direct(
        actor,
        FollowUp(
            lead=first_lead,
            visit=visit,
            description="示例：寄送园区用地和政策资料",
            due_on=today - dt.timedelta(days=6),
            responsible_person=me,
            **sample,
        ),
    )
    actions.create_direct(
        actor,
        FollowUp(
            lead=first_lead,
            visit=visit,
            description="示例：安排企业来晋城考察",
            due_on=today + dt.timedelta(days=10),
            responsible_person=me,
            **sample,
        ),
    )
    return {"sample_leads": len(leads), "converted": converted}


def _advance(actor, leads: dict, today: dt.date) -> int:
    """Move the sample leads along as a user would: to 洽谈 by the workflow; to 签约 by the conversion to a
    project (one operation, investment/conversion.py); to 落地 and 投产 by their projects' own moves,
    which the leads follow (开工 today: the project lands this year). The number of leads converted."""
    from investment.conversion import convert

    converted = 0
    for lead, stage, dates in leads.values():
        if stage == "abandoned":
            lead = actions.transition(
                actor, lead, "abandon", data={"abandon_reason": "示例：企业决定在原籍扩产"}
            )
            actions.save_fields(actor, lead, abandoned_on=dates["abandoned_on"])
            continue
        if stage == "contact":
            continue
        lead = actions.transition(actor, lead, "negotiate")
        lead = actions.save_fields(actor, lead, negotiating_on=dates["negotiating_on"])
        if stage == "negotiating":
            continue
        project = convert(actor, lead)
        converted += 1
        if stage in ("landed", "in_production"):
            project = actions.transition(actor, project, "start", data={"started_on": today.isoformat()})
        if stage == "in_production":
            project = actions.transition(actor, project, "complete")
            actions.transition(actor, project, "produce")
    return converted
