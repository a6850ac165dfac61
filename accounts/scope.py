"""Answer ``chainboard.scope``: turn a user's grants and positions into ``GrantSpec``s."""

from chainboard.scope import GrantSpec

from .roles import POSITION_ROLES, permissions_for


def grants_for(user) -> list[GrantSpec]:
    from chains.models import Position

    from .models import Grant

    specs = []
    # Ordered by key: the specs are a set of permissions; the models' own orderings would join users and
    # chains on every request. Read as values: every page asks, and model instances cost it a millisecond.
    rows = (
        Grant.objects.filter(user=user)
        .order_by("pk")
        .values_list("role", "chain_id", "region__path", "enterprise_id", "organisation_id")
    )
    for role, chain_id, region_path, enterprise_id, unit_id in rows:
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
    for chain_id, kind in Position.objects.filter(user=user).order_by("pk").values_list("chain_id", "kind"):
        role = POSITION_ROLES[kind]
        specs.append(GrantSpec(role=role, permissions=permissions_for(role), chain_ids=frozenset([chain_id])))
    return specs


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
