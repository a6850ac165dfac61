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

# The regions the teams went to (赴京津冀、长三角、珠三角、中原城市群和成渝地区). The reply names the
# macro-regions only; the provinces are the usual reading of those names (not the reply's).
MACRO_REGIONS = [
    ("京津冀", ["110000", "120000", "130000"]),
    ("长三角", ["310000", "320000", "330000", "340000"]),
    ("珠三角", ["440000"]),
    ("中原城市群", ["410000"]),
    ("成渝", ["500000", "510000"]),
]
PROVINCES_NOTE = "；所含省级行政区按通常理解补充（示例）"

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
    from investment.models import Event, MacroRegion, Target

    silk = Chain.objects.get(name=SILK, level="city")
    macros = 0
    for name, provinces in MACRO_REGIONS:
        if MacroRegion.objects.filter(name=name).exists():
            continue
        _create(
            actor,
            MacroRegion(name=name, source=f"{SECTION}{PROVINCES_NOTE}"),
            provinces=Region.objects.filter(code__in=provinces),
        )
        macros += 1
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
    if silk.yearly_landing_target is not None and not Target.objects.filter(
        chain=silk, team=None, year=year
    ).exists():
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
    return {"macro_regions": macros, "events": events}


# ---- sample teams, leads, visits, follow-ups (示例数据) -------------------------------------------------
SAMPLE = "Sample data"
SAMPLE_TEAMS = [
    # name, macro-regions aimed at, weak segments aimed at (names), target: opened, signed, landed, amount
    ("示例：长三角招商小分队", ["长三角"], ["丝麻织造", "染整"], (12, 2, 1, Decimal("200000000"))),
    ("示例：京津冀招商小分队", ["京津冀", "中原城市群"], ["服装服饰"], (8, 1, 1, Decimal("100000000"))),
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
