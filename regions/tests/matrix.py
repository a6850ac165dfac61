"""Regions in the permission-and-scope matrix (chainboard/tests/test_scope_matrix.py merges every app's
``tests/matrix.py``). Written out by hand from rules.md and regions/access.py, not computed."""

ENTITIES = {"region": "regions.Region"}

# Reference data: everyone who works reads every region (the shared world's five).
REGIONS = {"山西省", "晋城市", "高平市", "泽州县", "米山镇"}


def extend(world, actor) -> dict:
    return {"region": {r.name: r for r in world.regions.values()}}


# role → entity → (keys the role may see, actions it may take: v(iew) a(dd) c(hange) d(elete)).
EXPECTED = {
    "chief": {"region": (REGIONS, "v")},
    "office": {"region": (REGIONS, "v")},
    "county": {"region": (REGIONS, "v")},
    "investment": {"region": (REGIONS, "v")},
    "enterprise": {"region": (REGIONS, "v")},
    "admin": {"region": (REGIONS, "v")},
    "security_admin": {"region": (REGIONS, "v")},
}
PROBES = {"region": ["高平市", "泽州县"]}
REFUSED: dict = {}
NAMED: dict = {}
