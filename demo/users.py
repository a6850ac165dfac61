"""Demo log-ins, one per role (rules.md names them). Passwords are fixed so that `chainboard demo-users`
can print them again; they are demo credentials: change or remove them on a real deployment."""

from __future__ import annotations

from accounts.models import Grant, User
from accounts.roles import Role
from chainboard import actions
from chains.models import Chain, Position, PositionKind
from enterprises.models import Enterprise
from organisations.models import Organisation
from regions.models import Region

# username, password, full name (a role, never a person), role description
DEMO_USERS = [
    ("chief", "Chief#Demo2024", "链长（示例账号）", "chain chief (position 链长 on the silk-hemp chain)"),
    ("deputy", "Deputy#Demo2024", "副链长（示例账号）", "deputy chain chief (position 副链长)"),
    ("office", "Office#Demo2024", "链办工作人员（示例账号）", "chain office (position 领导小组办公室成员)"),
    ("county_gaoping", "Gaoping#Demo2024", "高平市专班（示例账号）", "county staff, 高平市 140581 and below"),
    ("investment", "Invest#Demo2024", "招商小分队（示例账号）", "investment team, silk-hemp chain"),
    ("enterprise_jingbai", "Jingbai#Demo2024", "景柏服饰用户（示例账号）", "enterprise user, 景柏服饰 only"),
    (
        "unit_bureau",
        "Unit#Demo2024",
        "市工信局承办人员（示例账号）",
        "handling unit: what is assigned to 晋城市工业和信息化局",
    ),
    ("auditor", "Auditor#Demo2024", "审计员（示例账号）", "auditor: the audit trail, nothing else"),
    (
        "admin",
        "Admin#Demo2024",
        "系统管理员（示例账号）",
        "administrator: users, grants, positions, organisations",
    ),
    (
        "security",
        "Security#Demo2024",
        "安全管理员（示例账号）",
        "security administrator: who holds which role, locks",
    ),
]


def ensure(actor) -> list[tuple[str, str, str]]:
    silk = Chain.objects.get(name="丝麻纺织服装产业链", level="city")
    out = []
    for username, password, full_name, description in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username, full_name=full_name, is_sample=True, source="Sample data: demo log-in"
            )
            user.set_password(password)
            actions.create_direct(actor, user)
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password", "password_changed_at"])
        out.append((username, password, description))
    users = {u.username: u for u in User.objects.filter(username__in=[d[0] for d in DEMO_USERS])}
    positions = {
        PositionKind.CHIEF: "chief",
        PositionKind.DEPUTY_CHIEF: "deputy",
        PositionKind.OFFICE_MEMBER: "office",
    }
    for kind, username in positions.items():
        position = Position.objects.filter(chain=silk, kind=kind).first()
        if position is not None and position.user_id is None:
            actions.save_fields(actor, position, user=users[username])
    grants = [
        ("county_gaoping", Role.COUNTY, {"region": Region.objects.get(code="140581")}),
        ("investment", Role.INVESTMENT, {"chain": silk}),
        ("enterprise_jingbai", Role.ENTERPRISE, {"enterprise": Enterprise.objects.get(name="景柏服饰")}),
        ("unit_bureau", Role.UNIT, {"organisation": Organisation.objects.get(name="晋城市工业和信息化局")}),
        ("auditor", Role.AUDITOR, {}),
        ("admin", Role.ADMIN, {}),
        ("security", Role.SECURITY_ADMIN, {}),
    ]
    for username, role, scope in grants:
        if not Grant.objects.filter(user=users[username], role=role).exists():
            actions.create_direct(
                actor,
                Grant(
                    user=users[username], role=role, is_sample=True, source="Sample data: demo grant", **scope
                ),
            )
    return out
