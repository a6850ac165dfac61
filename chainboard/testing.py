"""A fixed cast for tests: regions, chains, enterprises inside and outside each scope, a user per role."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from chainboard import audit
from chainboard.scope import SystemActor

PASSWORD = "Test#Password2024"


@dataclass
class World:
    users: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)
    chains: dict = field(default_factory=dict)
    segments: dict = field(default_factory=dict)
    enterprises: dict = field(default_factory=dict)
    indicators: dict = field(default_factory=dict)
    organisations: dict = field(default_factory=dict)


def build_world() -> World:
    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard import actions
    from chains.models import Chain, Position, PositionKind, Segment, SegmentLink
    from enterprises.models import Contact, Enterprise, Indicator, Membership, Product
    from industries.models import IndustryClass
    from organisations.models import Organisation
    from regions.models import Region

    w = World()
    actor = SystemActor("test")
    with audit.operation(user=actor, source=audit.Source.COMMAND, label="test:world"):

        def region(code, name, level, parent=None):
            r = Region.objects.create(
                code=code, name=name, level=level, parent=parent, path=Region.path_for(code), full_name=name
            )
            w.regions[code] = r
            return r

        shanxi = region("140000", "山西省", 1)
        city = region("140500", "晋城市", 2, shanxi)
        region("140581", "高平市", 3, city)
        region("140525", "泽州县", 3, city)
        region("140581101", "米山镇", 4, w.regions["140581"])
        c17 = IndustryClass.objects.create(code="C", name="制造业", level=1)
        IndustryClass.objects.create(code="C1741", name="缫丝加工", level=4, parent=c17)

        silk = actions.create_direct(actor, Chain(name="丝麻纺织服装产业链", level="city", region=city))
        other = actions.create_direct(actor, Chain(name="其他产业链", level="city", region=city))
        w.chains = {"silk": silk, "other": other}
        for name, order in [("缫丝", 1), ("织造", 2), ("服装", 3)]:
            w.segments[name] = actions.create_direct(actor, Segment(chain=silk, name=name, order=order))
        w.segments["other"] = actions.create_direct(actor, Segment(chain=other, name="其他环节"))
        actions.create_direct(actor, SegmentLink(upstream=w.segments["缫丝"], downstream=w.segments["织造"]))
        actions.create_direct(actor, SegmentLink(upstream=w.segments["织造"], downstream=w.segments["服装"]))

        def enterprise(key, name, region_code, chain):
            e = actions.create_direct(actor, Enterprise(name=name, region=w.regions[region_code]))
            actions.create_direct(actor, Membership(enterprise=e, chain=chain))
            actions.create_direct(actor, Product(enterprise=e, name=f"{name}产品"))
            actions.create_direct(actor, Contact(enterprise=e, name=f"{name}联系人"))
            w.indicators[key] = actions.create_direct(
                actor, Indicator(enterprise=e, period_type="year", year=2023, output_value=Decimal("1000000"))
            )
            w.enterprises[key] = e
            return e

        enterprise("jingbai", "景柏服饰", "140525", silk)  # silk chain, 泽州县
        enterprise("luanfu", "潞安府潞绸", "140581", silk)  # silk chain, 高平市
        enterprise("gaoping_other", "高平其他企业", "140581101", other)  # other chain, 高平市米山镇
        enterprise("zezhou_other", "泽州其他企业", "140525", other)  # other chain, 泽州县

        w.organisations["bureau"] = actions.create_direct(
            actor, Organisation(name="晋城市工业和信息化局", kind="city_bureau", region=city)
        )

        def user(username, role=None, **scope):
            u = User(username=username, full_name=username)
            u.set_password(PASSWORD)
            actions.create_direct(actor, u)
            if role:
                actions.create_direct(actor, Grant(user=u, role=role, **scope))
            w.users[username] = u
            return u

        chief = user("chief")
        actions.create_direct(actor, Position(chain=silk, kind=PositionKind.CHIEF, user=chief))
        office = user("office")
        actions.create_direct(actor, Position(chain=silk, kind=PositionKind.OFFICE_MEMBER, user=office))
        user("county", Role.COUNTY, region=w.regions["140581"])
        user("investment", Role.INVESTMENT, chain=silk)
        user("enterprise", Role.ENTERPRISE, enterprise=w.enterprises["jingbai"])
        user("auditor", Role.AUDITOR)
        user("admin", Role.ADMIN)
        user("security_admin", Role.SECURITY_ADMIN)
        user("outsider")  # no grant at all
    return w


def set_audit_triggers(present: bool) -> None:
    """Lift the audit trail's append-only triggers (chainboard/migrations/0011_audit_chain.py) and, with
    ``present``, put them back. A ``transactional_db`` test empties every table after it (DELETE on SQLite,
    TRUNCATE on PostgreSQL), which the triggers refuse: the ``audit_triggers_lifted_for_flush`` fixture in
    conftest.py lifts them for that flush only."""
    import importlib

    from django.db import connection

    chain = importlib.import_module("chainboard.migrations.0011_audit_chain")
    lift, install = {
        "sqlite": (chain.SQLITE_REVERSE, chain.SQLITE),
        "postgresql": (chain.POSTGRES_REVERSE, chain.POSTGRES),
    }[connection.vendor]
    with connection.cursor() as cursor:
        for sql in lift:
            cursor.execute(sql)
        if present:
            for sql in install:
                cursor.execute(sql)
