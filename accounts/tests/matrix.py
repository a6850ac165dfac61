"""Users and grants in the permission-and-scope matrix (chainboard/tests/test_scope_matrix.py merges every
app's ``tests/matrix.py``). Written out by hand from rules.md and accounts/access.py, not computed."""

from django.contrib.auth import get_user_model

from accounts.models import Grant

ENTITIES = {"user": "accounts.User", "grant": "accounts.Grant"}

# One user per role, named after it; the chief and the office hold positions, the outsider nothing.
USERS = {
    "chief",
    "office",
    "county",
    "investment",
    "enterprise",
    "auditor",
    "admin",
    "security_admin",
    "outsider",
}
GRANTS = USERS - {"chief", "office", "outsider"}


def extend(world, actor) -> dict:
    return {
        "user": {u.username: u for u in get_user_model().objects.all()},
        "grant": {g.user.username: g for g in Grant.objects.select_related("user")},
    }


# role → entity → (keys the role may see, actions it may take: v(iew) a(dd) c(hange) d(elete)).
EXPECTED = {
    "admin": {"user": (USERS, "vacd"), "grant": (GRANTS, "vacd")},  # 三员: manages users and grants
    "security_admin": {"user": (USERS, "v"), "grant": (GRANTS, "v")},  # reviews them, changes none
}
PROBES = {"user": ["county", "outsider"], "grant": ["county", "enterprise"]}
REFUSED: dict = {}
NAMED: dict = {}
