"""Answer ``chainboard.scope``: turn a user's grants and positions into ``GrantSpec``s."""

from functools import cache

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from chainboard.scope import GrantSpec

from .roles import POSITION_ROLES, permissions_for


def grants_for(user) -> list[GrantSpec]:
    specs = []
    grants_sql, positions_sql = _statements(connection.alias, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(grants_sql, [user.pk])
        grants = cursor.fetchall()
        cursor.execute(positions_sql, [user.pk])
        positions = cursor.fetchall()
    for role, chain_id, region_path, enterprise_id, unit_id in grants:
        specs.append(
            GrantSpec(
                role=role,
                permissions=permissions_for(role),
                chain_ids=frozenset([chain_id]) if chain_id else None,
                region_path=region_path,
                enterprise_id=enterprise_id,
                unit_id=unit_id,
            )
        )
    for chain_id, kind in positions:
        role = POSITION_ROLES[kind]
        specs.append(GrantSpec(role=role, permissions=permissions_for(role), chain_ids=frozenset([chain_id])))
    return specs


@cache
def _statements(alias: str, vendor: str) -> tuple[str, str]:
    """The two statements that read a user's grants and positions, compiled by the ORM once per database:
    every request asks for them, and building and compiling the two querysets cost 1.1 ms of the 1.2
    that reading them took (SQLite, the bench's office user; bench/README.md, session 27). Ordered by key:
    the specs are a set of permissions, and the models' own orderings would join users and chains. Read
    as plain rows (text and integers, which need no converter): model instances cost a millisecond more.
    The user's key is the only parameter of each, checked here so that a change to the querysets cannot
    pass another parameter silently."""
    from chains.models import Position

    from .models import Grant

    statements = []
    for queryset in (
        Grant.objects.filter(user_id=_USER).values_list(
            "role", "chain_id", "region__path", "enterprise_id", "organisation_id"
        ),
        Position.objects.filter(user_id=_USER).values_list("chain_id", "kind"),
    ):
        sql, params = queryset.order_by("pk").query.sql_with_params()
        if list(params) != [_USER]:
            raise ImproperlyConfigured(f"the grants' statement takes {params!r}, not the user's key alone")
        statements.append(sql)
    return statements[0], statements[1]


_USER = -424242  # a key no user has: the placeholder found among the compiled statement's parameters


def grant_name(grant: GrantSpec, dimensions: set[str]) -> str:
    """A grant's reach along ``dimensions`` in words: 高平市, 景柏服饰, 丝麻纺织服装产业链·高平市,
    晋城市工业和信息化局 (a handling unit)."""
    from chains.models import Chain
    from enterprises.models import Enterprise
    from organisations.models import Organisation
    from regions.models import Region

    parts = []
    if "chain" in dimensions and grant.chain_ids is not None:
        parts.extend(
            Chain.objects.filter(pk__in=grant.chain_ids).order_by("name").values_list("name", flat=True)
        )
    if "region" in dimensions and grant.region_path is not None:
        parts.extend(Region.objects.filter(path=grant.region_path).values_list("name", flat=True))
    if "enterprise" in dimensions and grant.enterprise_id is not None:
        parts.extend(str(e) for e in Enterprise.objects.filter(pk=grant.enterprise_id))
    if "unit" in dimensions and grant.unit_id is not None:
        parts.extend(str(o) for o in Organisation.objects.filter(pk=grant.unit_id))
    return "·".join(parts)


def users_holding(permission: str):
    """The active users a grant or a position of whom gives ``permission`` (for notices to a role)."""
    from django.db.models import Q

    from .models import User
    from .roles import ROLE_PERMISSIONS

    roles = [role for role in ROLE_PERMISSIONS if permission in permissions_for(role)]
    kinds = [kind for kind, role in POSITION_ROLES.items() if role in roles]
    holders = Q(grants__role__in=roles) | Q(positions__kind__in=kinds)
    return (
        User.objects.filter(is_active=True)
        .filter(pk__in=User.objects.filter(holders).values("pk"))
        .order_by("pk")
    )
