"""The Jincheng demo: every fact of the TA0302 reply that the foundation's entities can hold, each with
its source, plus a little sample data (``is_sample``, shown as 示例数据) to make the screens alive.

Unknowns stay unknown: no USCC, address, coordinates or per-enterprise figure is invented as real;
enterprises without a stated county sit in the city (县区未知).
"""

from __future__ import annotations

from decimal import Decimal

from chainboard import actions
from chains.models import (
    AttributeKind,
    Chain,
    ChainAttribute,
    ChainStatistic,
    Position,
    PositionKind,
    Segment,
    StatisticMetric,
)
from enterprises.models import (
    AboveSizeStatus,
    Contact,
    Enterprise,
    Indicator,
    Membership,
    MembershipRole,
    Product,
)
from organisations.models import Organisation, OrganisationKind, Person
from regions.models import Region

SRC = "TA0302 reply"
SILK = "丝麻纺织服装产业链"
SYNBIO = "合成生物产业链"
SAMPLE = "Sample data"  # a source note, shown translated (chainboard/sources.py)

ORGANISATIONS = [
    # name, short, kind, region, source, sample
    ("晋城市工业和信息化局", "市工信局", OrganisationKind.CITY_BUREAU, "140500", f"{SRC}, 落款", False),
    (
        "丝麻纺织服装产业链推进领导小组",
        "推进领导小组",
        OrganisationKind.LEADING_GROUP,
        "140500",
        f"{SRC}, 二(一)",
        False,
    ),
    (
        "丝麻纺织服装产业链领导小组办公室",
        "链办",
        OrganisationKind.LEADING_GROUP,
        "140500",
        f"{SRC}, 二(一)",
        False,
    ),
    (
        "晋城市专业镇发展领导小组",
        "专业镇领导小组",
        OrganisationKind.LEADING_GROUP,
        "140500",
        f"{SRC}, 二(一) 专业镇方面",
        False,
    ),
    ("中国纺织工业联合会智库", "中纺联智库", OrganisationKind.THINK_TANK, None, f"{SRC}, 二(一)", False),
    ("晋城职业技术学院", "晋城职院", OrganisationKind.COLLEGE, "140500", f"{SRC}, 二(六)", False),
    ("山西省服装协会", "省服装协会", OrganisationKind.ASSOCIATION, "140000", f"{SRC}, 二(六)", False),
    ("民革晋城市委会", "民革晋城市委会", OrganisationKind.OTHER, "140500", f"{SRC}, 抬头 (提案者)", False),
    ("高平市工业和信息化局", "高平市工信局", OrganisationKind.COUNTY_GOVERNMENT, "140581", SAMPLE, True),
]

# The office of the chain's leading group (领导小组办公室) is a unit of that group (the letter, 二(一)): so the
# group cannot be deleted while its office exists (chainboard/deletion.py).
PARENT_UNITS = {"丝麻纺织服装产业链领导小组办公室": "丝麻纺织服装产业链推进领导小组"}

PEOPLE = [
    # organisation, name (a role, never a real person's name), title, source
    ("晋城市工业和信息化局", "负责人", "答复负责人", f"{SRC}, 落款"),
    ("晋城市工业和信息化局", "承办人", "答复承办人", f"{SRC}, 落款"),
]

ENTERPRISES = [
    # key, name, region code (the city when the county is unknown), source, segments
    ("景柏", "景柏服饰", "140525", f"{SRC}, 二(三)(七)", ["服装服饰", "家纺"]),
    ("绿洲", "绿洲纺织", "140500", f"{SRC}, 二(三)", ["麻纺纱线", "丝麻织造"]),
    ("潞安府", "潞安府潞绸", "140581", f"{SRC}, 二(三)(四)", ["丝麻织造", "婚庆文化"]),
    ("森鹅", "森鹅", "140500", f"{SRC}, 二(四)(六)", ["针织面料", "染整"]),
    ("唐安", "唐安缫丝厂", "140500", f"{SRC}, 二(四)", ["缫丝"]),
    ("际华", "际华三五三四", "140500", f"{SRC}, 二(六)", ["服装服饰"]),
]

MEMBERSHIPS = [
    # enterprise key, chain, role, source, sample
    ("景柏", SILK, MembershipRole.LEADER, f"{SRC}, 二(三) 三家链主企业", False),
    ("绿洲", SILK, MembershipRole.LEADER, f"{SRC}, 二(三) 三家链主企业", False),
    ("潞安府", SILK, MembershipRole.LEADER, f"{SRC}, 二(三) 三家链主企业", False),
    ("景柏", SYNBIO, MembershipRole.MEMBER, f"{SRC}, 二(三) 纳入省级合成生物产业链链上企业", False),
    ("绿洲", SYNBIO, MembershipRole.MEMBER, f"{SRC}, 二(三) 纳入省级合成生物产业链链上企业", False),
    ("潞安府", SYNBIO, MembershipRole.MEMBER, f"{SRC}, 二(三) 纳入省级合成生物产业链链上企业", False),
    ("森鹅", SILK, MembershipRole.MEMBER, f"{SRC}, 二(四) 重点项目", False),
    ("唐安", SILK, MembershipRole.MEMBER, f"{SRC}, 二(四) 重点项目", False),
    ("际华", SILK, MembershipRole.MEMBER, SAMPLE, True),
]

PRODUCTS = [
    # enterprise key, name, brand, applications, source
    ("绿洲", "混纺纱线", "", "与下游企业合作开发", f"{SRC}, 二(三)"),
    ("绿洲", "面料", "", "国内外贸易销售", f"{SRC}, 二(三)"),
    ("绿洲", "麻坯布", "", "外贸加工", f"{SRC}, 二(三)"),
    ("景柏", "家纺", "东方古堡", "", f"{SRC}, 二(七)"),
    ("景柏", "家纺", "景柏家", "", f"{SRC}, 二(七)"),
    ("潞安府", "潞绸", "", "丝绸制品、婚庆文化", f"{SRC}, 二(四) 国家级非遗潞绸手工织造技艺"),
    ("潞安府", "丝麻面料", "", "", f"{SRC}, 二(四) 年产30万米丝麻面料扩改项目"),
    ("森鹅", "针织面料", "", "", f"{SRC}, 二(四)"),
]

ATTRIBUTES = (
    [
        (AttributeKind.SPECIAL_ACTION, name, f"{SRC}, 二(二)")
        for name in [
            "企业育强培优",
            "市场主体倍增",
            "重大项目攻坚",
            "精准招商引资",
            "创新能力提升",
            "金融资本助力",
            "产业链供应链保稳",
        ]
    ]
    + [
        (AttributeKind.WORKING_MECHANISM, name, f"{SRC}, 二(二)")
        for name in ["领导领衔推进", "闭环管理", "“四图五清单”动态管理", "平台支撑服务"]
    ]
    + [
        (AttributeKind.MODEL, "“政府+链主企业+产业园”招商模式", f"{SRC}, 二(五)"),
        (AttributeKind.MODEL, "部门分工协作、市县联动推进", f"{SRC}, 二(二)"),
        (
            AttributeKind.FACT,
            "中国纺织工业联合会智库实地调研，编制《实施方案》和四图五清单",
            f"{SRC}, 二(一)",
        ),
        (AttributeKind.FACT, "“1+3+1”开发区管理格局，多数园区纳入开发区管理", f"{SRC}, 一"),
        (AttributeKind.FACT, "纺织行业仅占全国产业规模的0.01%", f"{SRC}, 三 (末段)"),
        (AttributeKind.FACT, "国家级非遗潞绸手工织造技艺", f"{SRC}, 二(四)"),
        (
            AttributeKind.FACT,
            "编印《晋城市重点产业发展概况》《晋城市十大重点产业链链长链主工作联络手册》",
            f"{SRC}, 二(二)",
        ),
        (AttributeKind.FACT, "建立重点产业链企业清单、项目清单", f"{SRC}, 二(二)"),
        (
            AttributeKind.COMMITMENT,
            "落实大规模设备更新、战略性新兴产业奖补、技术改造专项资金等政策",
            f"{SRC}, 三(一)",
        ),
        (AttributeKind.COMMITMENT, "产业链每年至少招引2个项目落地", f"{SRC}, 三(二)"),
        (AttributeKind.COMMITMENT, "支持职业院校开设服装相关专业，强化师资队伍建设", f"{SRC}, 三(三)"),
        (AttributeKind.COMMITMENT, "出台推动消费品工业高质量集聚发展的行动计划", f"{SRC}, 三(四)"),
        (AttributeKind.COMMITMENT, "适时论证建设国家级服饰定制科技园可行性", f"{SRC}, 三 (末段)"),
    ]
)

POSITIONS = [
    # kind, organisation, duties, demo user
    (PositionKind.CHIEF, None, "领衔推进产业链工作", "chief"),
    (PositionKind.DEPUTY_CHIEF, None, "协助链长推进产业链工作", "deputy"),
    (PositionKind.CHIEF_ASSISTANT, "晋城市工业和信息化局", "协助链长、副链长开展日常工作", None),
    (PositionKind.OFFICE_MEMBER, "丝麻纺织服装产业链领导小组办公室", "承担领导小组日常工作", "office"),
]

# Sample figures (示例数据) so that indicator and statistics screens show something; never presented as real.
SAMPLE_INDICATORS = [
    ("景柏", "year", 2023, None, "52000000", "50500000", "1800000", 320, "2600000"),
    ("绿洲", "year", 2023, None, "68000000", "66000000", "2100000", 410, "5400000"),
    ("潞安府", "year", 2023, None, "31000000", "30200000", "900000", 180, "1500000"),
    ("景柏", "ytd", 2024, 6, "27000000", "26100000", "950000", 330, "1350000"),
    ("景柏", "month", 2024, 2, "7200000", "7000000", "240000", 315, "380000"),
]


def _get_or_create(actor, model, lookup: dict, **values):
    existing = model.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    return actions.create_direct(actor, model(**lookup, **values))


def load(actor) -> dict[str, int]:
    silk = Chain.objects.get(name=SILK, level="city")
    synbio = Chain.objects.get(name=SYNBIO, level="province")
    chains = {SILK: silk, SYNBIO: synbio}
    regions = {r.code: r for r in Region.objects.filter(code__in=["140000", "140500", "140525", "140581"])}
    orgs = {}
    for name, short, kind, region, source, sample in ORGANISATIONS:
        orgs[name] = _get_or_create(
            actor,
            Organisation,
            {"name": name},
            short_name=short,
            kind=kind,
            region=regions.get(region),
            parent=orgs.get(PARENT_UNITS.get(name, "")),
            source=source,
            is_sample=sample,
        )
    for org, name, title, source in PEOPLE:
        _get_or_create(actor, Person, {"organisation": orgs[org], "name": name}, title=title, source=source)
    enterprises = {}
    for key, name, region, source, _segments in ENTERPRISES:
        enterprises[key] = _get_or_create(
            actor, Enterprise, {"name": name}, region=regions[region], source=source
        )
    for key, chain, role, source, sample in MEMBERSHIPS:
        _get_or_create(
            actor,
            Membership,
            {"enterprise": enterprises[key], "chain": chains[chain]},
            role=role,
            source=source,
            is_sample=sample,
        )
    segments = {s.name: s for s in Segment.objects.filter(chain=silk)}
    for key, _name, _region, _source, names in ENTERPRISES:
        enterprise = enterprises[key]
        wanted = [segments[n].pk for n in names]
        if sorted(s.pk for s in enterprise.segments.all()) != sorted(wanted):
            actions.set_related(actor, enterprise, "segments", wanted)
    for key, name, brand, applications, source in PRODUCTS:
        _get_or_create(
            actor,
            Product,
            {"enterprise": enterprises[key], "name": name, "brand": brand},
            applications=applications,
            source=source,
        )
    for order, (kind, name, source) in enumerate(ATTRIBUTES):
        _get_or_create(
            actor, ChainAttribute, {"chain": silk, "kind": kind, "name": name}, order=order, source=source
        )
    for kind, org, duties, _user in POSITIONS:
        _get_or_create(
            actor,
            Position,
            {"chain": silk, "kind": kind},
            organisation=orgs.get(org) if org else None,
            duties=duties,
            source=f"{SRC}, 二(一) 明确了链长、副链长、链长助理、链主企业、领导小组办公室的主要职责",
        )
    _get_or_create(
        actor,
        ChainStatistic,
        {
            "chain": silk,
            "metric": StatisticMetric.OUTPUT_VALUE,
            "period_type": "year",
            "year": 2023,
            "month": None,
        },
        value=Decimal("430000000"),
        note="规上丝麻纺织服装企业2023年产值4.3亿元",
        source=f"{SRC}, 一",
    )
    _get_or_create(
        actor,
        ChainStatistic,
        {
            "chain": silk,
            "metric": StatisticMetric.ABOVE_SIZE_COUNT,
            "period_type": "month",
            "year": 2024,
            "month": 7,
        },
        value=Decimal("6"),
        note="全市现有规上丝麻纺织服装企业6户（答复时，2024-07）",
        source=f"{SRC}, 一",
    )
    # Sample data below.
    for key, ptype, year, month, output, revenue, tax, employees, power in SAMPLE_INDICATORS:
        _get_or_create(
            actor,
            Indicator,
            {"enterprise": enterprises[key], "period_type": ptype, "year": year, "month": month},
            output_value=Decimal(output),
            revenue=Decimal(revenue),
            tax=Decimal(tax),
            employees=employees,
            electricity=Decimal(power),
            is_sample=True,
            source=SAMPLE,
        )
    _get_or_create(
        actor,
        AboveSizeStatus,
        {"enterprise": enterprises["景柏"], "year": 2023},
        is_above_size=True,
        is_sample=True,
        source=SAMPLE,
    )
    _get_or_create(
        actor,
        Contact,
        {"enterprise": enterprises["景柏"], "name": "办公室联系人"},
        title="办公室",
        phone="",
        is_sample=True,
        source=SAMPLE,
    )
    return {"enterprises": len(enterprises), "organisations": len(orgs)}
