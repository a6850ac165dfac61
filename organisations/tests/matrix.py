"""Organisations and people in the permission-and-scope matrix (chainboard/tests/test_scope_matrix.py
merges every app's ``tests/matrix.py``). Written out by hand from rules.md and organisations/access.py,
not computed."""

from chainboard import actions
from organisations.models import Organisation, Person

ENTITIES = {"organisation": "organisations.Organisation", "person": "organisations.Person"}

ORGANISATIONS = {"工信局", "职业学院"}
PEOPLE = {"工信局联络员"}


def extend(world, actor) -> dict:
    college = actions.create_direct(
        actor, Organisation(name="晋城职业技术学院", kind="college", region=world.regions["140500"])
    )
    person = actions.create_direct(
        actor, Person(organisation=world.organisations["bureau"], name="工信局联络员")
    )
    return {
        "organisation": {"工信局": world.organisations["bureau"], "职业学院": college},
        "person": {"工信局联络员": person},
    }


# role → entity → (keys the role may see, actions it may take: v(iew) a(dd) c(hange) d(elete)).
EXPECTED = {
    "chief": {"organisation": (ORGANISATIONS, "v"), "person": (PEOPLE, "v")},
    "office": {"organisation": (ORGANISATIONS, "v"), "person": (PEOPLE, "vacd")},
    "county": {"organisation": (ORGANISATIONS, "v"), "person": (PEOPLE, "v")},
    "investment": {"organisation": (ORGANISATIONS, "v"), "person": (PEOPLE, "v")},
    "admin": {"organisation": (ORGANISATIONS, "vacd"), "person": (PEOPLE, "vacd")},  # configuration
}
PROBES = {"organisation": ["工信局", "职业学院"], "person": ["工信局联络员"]}

# 工信局 has a person: an organisation with members is not deleted, whoever asks.
REFUSED = {("organisation", "工信局"): {"*": {"organisations.person"}}}
NAMED: dict = {}
