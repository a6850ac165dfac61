"""Enterprises and their memberships, products, contacts, statuses and indicators in the
permission-and-scope matrix (chainboard/tests/test_scope_matrix.py merges every app's
``tests/matrix.py``). Written out by hand from rules.md and enterprises/access.py, not computed."""

from chainboard import actions
from enterprises.models import AboveSizeStatus, Contact, Indicator, Membership, Product

ENTITIES = {
    "enterprise": "enterprises.Enterprise",
    "membership": "enterprises.Membership",
    "product": "enterprises.Product",
    "contact": "enterprises.Contact",
    "abovesizestatus": "enterprises.AboveSizeStatus",
    "indicator": "enterprises.Indicator",
}

# Enterprises (and their memberships, products, contacts, statuses, indicators), by key:
#   jingbai 景柏服饰 (silk chain, 泽州县), luanfu 潞安府潞绸 (silk, 高平市),
#   gaoping_other 高平其他企业 (other chain, 高平市米山镇), zezhou_other 泽州其他企业 (other, 泽州县).
ON_SILK = {"jingbai", "luanfu"}
IN_GAOPING = {"luanfu", "gaoping_other"}
JINGBAI = {"jingbai"}


def extend(world, actor) -> dict:
    for e in world.enterprises.values():
        actions.create_direct(actor, AboveSizeStatus(enterprise=e, year=2023))
    per_enterprise = {
        "enterprise": lambda e: e,
        "membership": lambda e: Membership.objects.get(enterprise=e),
        "product": lambda e: Product.objects.get(enterprise=e),
        "contact": lambda e: Contact.objects.get(enterprise=e),
        "abovesizestatus": lambda e: AboveSizeStatus.objects.get(enterprise=e),
        "indicator": lambda e: Indicator.objects.get(enterprise=e),
    }
    return {
        entity: {key: get(e) for key, e in world.enterprises.items()}
        for entity, get in per_enterprise.items()
    }


# role → entity → (keys the role may see, actions it may take: v(iew) a(dd) c(hange) d(elete)).
EXPECTED = {
    "chief": {  # chief of the silk chain: reads its enterprises' figures
        "enterprise": (ON_SILK, "v"),
        "membership": (ON_SILK, "v"),
        "product": (ON_SILK, "v"),
        "contact": (ON_SILK, "v"),
        "abovesizestatus": (ON_SILK, "v"),
        "indicator": (ON_SILK, "v"),
    },
    "office": {  # the silk chain's office: runs the chain's enterprises
        "enterprise": (ON_SILK, "vacd"),
        "membership": (ON_SILK, "vacd"),
        "product": (ON_SILK, "vacd"),
        "contact": (ON_SILK, "vacd"),
        "abovesizestatus": (ON_SILK, "vacd"),
        "indicator": (ON_SILK, "vacd"),
    },
    "county": {  # 高平市 staff: their county's enterprises
        "enterprise": (IN_GAOPING, "vacd"),
        "membership": (IN_GAOPING, "v"),
        "product": (IN_GAOPING, "vacd"),
        "contact": (IN_GAOPING, "vacd"),
        "abovesizestatus": (IN_GAOPING, "vacd"),
        "indicator": (IN_GAOPING, "vacd"),
    },
    "investment": {  # the silk chain's investment team: reads, but no enterprise's figures (统计法)
        "enterprise": (ON_SILK, "v"),
        "membership": (ON_SILK, "v"),
        "product": (ON_SILK, "v"),
        "contact": (ON_SILK, "v"),
        "abovesizestatus": (ON_SILK, "v"),
    },
    "enterprise": {  # 景柏服饰's own user: its record and children
        "enterprise": (JINGBAI, "vc"),
        "membership": (JINGBAI, "v"),
        "product": (JINGBAI, "vacd"),
        "contact": (JINGBAI, "vacd"),
        "abovesizestatus": (JINGBAI, "v"),
        "indicator": (JINGBAI, "vacd"),
    },
}

# 景柏服饰 is in the silk roles' and the enterprise user's scope and outside the county's; 高平其他企业
# the other way round; 潞安府潞绸 is in both the silk roles' and the county's.
PROBES = {
    "enterprise": ["jingbai", "luanfu", "gaoping_other"],
    **dict.fromkeys(
        ["membership", "product", "contact", "abovesizestatus", "indicator"], ["jingbai", "gaoping_other"]
    ),
}

# - 景柏服饰 has its enterprise user's grant: a log-in is not removed by cascade;
# - a county clerk deleting an enterprise on a chain would also delete its memberships, which only the
#   chain office manages: roles delete only what their work creates.
REFUSED = {
    ("enterprise", "jingbai"): {"*": {"accounts.grant"}},
    ("enterprise", "luanfu"): {"county": {"enterprises.membership"}},
    ("enterprise", "gaoping_other"): {"county": {"enterprises.membership"}},
}
NAMED: dict = {}
