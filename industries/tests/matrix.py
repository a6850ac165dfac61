"""Industry classes in the permission-and-scope matrix (chainboard/tests/test_scope_matrix.py merges every
app's ``tests/matrix.py``). Written out by hand from rules.md and industries/access.py, not computed."""

from industries.models import IndustryClass

ENTITIES = {"industryclass": "industries.IndustryClass"}

# Reference data: everyone who works reads every class (the shared world's two).
CLASSES = {"C", "C1741"}


def extend(world, actor) -> dict:
    return {"industryclass": {c.code: c for c in IndustryClass.objects.all()}}


# role → entity → (keys the role may see, actions it may take: v(iew) a(dd) c(hange) d(elete)).
EXPECTED = {
    "chief": {"industryclass": (CLASSES, "v")},
    "office": {"industryclass": (CLASSES, "v")},
    "county": {"industryclass": (CLASSES, "v")},
    "investment": {"industryclass": (CLASSES, "v")},
    "enterprise": {"industryclass": (CLASSES, "v")},
    "admin": {"industryclass": (CLASSES, "v")},
    "security_admin": {"industryclass": (CLASSES, "v")},
}
PROBES = {"industryclass": ["C1741"]}
REFUSED: dict = {}
NAMED: dict = {}
