"""Roles and what each may do (``rules.md``, Scope). Permissions read ``<app>.<action>_<model>``.

Scope (which rows) comes from the grant; these sets say which kinds of record and which actions.
Individual enterprises' figures (``enterprises.indicator``) are confidential: only the chiefs, the
chain office, county staff and the enterprise itself hold ``view_indicator``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CHIEF = "chief", _("chain chief")
    DEPUTY_CHIEF = "deputy_chief", _("deputy chain chief")
    OFFICE = "office", _("chain office")
    COUNTY = "county", _("county or town staff")
    INVESTMENT = "investment", _("investment team")
    ENTERPRISE = "enterprise", _("enterprise user")
    AUDITOR = "auditor", _("auditor")
    ADMIN = "admin", _("administrator")
    SECURITY_ADMIN = "security_admin", _("security administrator")


ALL = ("view", "add", "change", "delete")
VIEW = ("view",)
REFERENCE = {"regions.region": VIEW, "industries.industryclass": VIEW}
CHAIN_READ = {
    "chains.chain": VIEW,
    "chains.segment": VIEW,
    "chains.segmentlink": VIEW,
    "chains.position": VIEW,
    "chains.chainattribute": VIEW,
    "chains.chainstatistic": VIEW,
}
ENTERPRISE_READ = {
    "enterprises.enterprise": VIEW,
    "enterprises.membership": VIEW,
    "enterprises.product": VIEW,
    "enterprises.contact": VIEW,
    "enterprises.abovesizestatus": VIEW,
}
CONFIDENTIAL_READ = {"enterprises.indicator": VIEW}
COLLAB = {"chainboard.journalentry": ("view", "add"), "chainboard.attachment": ("view", "add", "delete")}
ORG_READ = {"organisations.organisation": VIEW, "organisations.person": VIEW}
PROJECT_READ = {"projects.project": VIEW, "projects.projectplan": VIEW, "projects.milestone": VIEW}
ROUND_READ = {"projects.schedulinground": VIEW, "projects.progressreport": VIEW}
# Filing a round's progress (docs/projects.md, Rounds): the named action on the project, and the report.
FILE_PROGRESS = {"projects.progressreport": ("view", "add", "change")}
# Those who keep projects may delete a report row of an open round (a project listed by mistake), and so
# delete a project with its reports; a closed round's reports refuse it (ProgressReport.write_refusal).
KEEP_PROGRESS = {"projects.progressreport": ("view", "add", "change", "delete")}


def _all(*labels: str) -> dict[str, tuple[str, ...]]:
    return dict.fromkeys(labels, ALL)


ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.CHIEF: {
        **REFERENCE,
        **CHAIN_READ,
        **ENTERPRISE_READ,
        **CONFIDENTIAL_READ,
        **ORG_READ,
        **PROJECT_READ,
        **ROUND_READ,
        "chainboard.journalentry": ("view", "add"),
        "chainboard.attachment": VIEW,
    },
    Role.OFFICE: {
        **REFERENCE,
        **ORG_READ,
        **COLLAB,
        # Positions give their holders roles: the office reads them, only the administrator changes them.
        "chains.position": VIEW,
        # The city designates its chains (`chainboard setup`): the office keeps a chain's record and its
        # structure up to date but neither adds nor deletes a chain (docs/roles.md, Deleting).
        "chains.chain": ("view", "change"),
        **_all(
            "chains.segment",
            "chains.segmentlink",
            "chains.chainattribute",
            "chains.chainstatistic",
            "enterprises.enterprise",
            "enterprises.membership",
            "enterprises.product",
            "enterprises.contact",
            "enterprises.abovesizestatus",
            "enterprises.indicator",
            "organisations.person",
            "projects.projectplan",
            "projects.milestone",
        ),
        "projects.project": (*ALL, "file_progress"),
        # The office runs the monthly rounds: opens (add), reminds and closes (change); never deletes one.
        "projects.schedulinground": ("view", "add", "change"),
        **KEEP_PROGRESS,
    },
    Role.COUNTY: {
        **REFERENCE,
        **CHAIN_READ,
        **ORG_READ,
        **COLLAB,
        **CONFIDENTIAL_READ,
        **_all(
            "enterprises.enterprise",
            "enterprises.product",
            "enterprises.contact",
            "enterprises.abovesizestatus",
            "enterprises.indicator",
            # County staff keep the projects built in their county (product.md).
            "projects.projectplan",
            "projects.milestone",
        ),
        "projects.project": (*ALL, "file_progress"),
        "projects.schedulinground": VIEW,
        **KEEP_PROGRESS,
        "enterprises.membership": VIEW,
    },
    Role.INVESTMENT: {
        **REFERENCE,
        **CHAIN_READ,
        **ENTERPRISE_READ,
        **ORG_READ,
        **COLLAB,
        **PROJECT_READ,
        **ROUND_READ,
    },
    Role.ENTERPRISE: {
        **REFERENCE,
        **COLLAB,
        "chains.chain": VIEW,
        "chains.segment": VIEW,
        "chains.segmentlink": VIEW,
        # What the source letter published about the chain (official statistics, special actions,
        # mechanisms) is no secret from the chain's own enterprises (docs/scope.md).
        "chains.chainattribute": VIEW,
        "chains.chainstatistic": VIEW,
        "enterprises.enterprise": ("view", "change"),
        "enterprises.membership": VIEW,
        "enterprises.abovesizestatus": VIEW,
        **_all("enterprises.product", "enterprises.contact", "enterprises.indicator"),
        **PROJECT_READ,  # its own projects (scope: the enterprise), to follow and to file their progress
        "projects.project": ("view", "file_progress"),
        **FILE_PROGRESS,
    },
    # 三员 (separation of duties, docs/roles.md): the system administrator manages users, grants and the
    # positions that grant roles; the security administrator reviews who holds what and looks after the
    # security policies (log-in locks); the auditor only reads the trail. None of them sees business data.
    Role.AUDITOR: {"chainboard.auditentry": VIEW},
    Role.ADMIN: {
        **REFERENCE,
        **_all(
            "accounts.user",
            "accounts.grant",
            "chains.position",
            "organisations.organisation",
            "organisations.person",
        ),
        # Locked accounts (django-axes' attempt rows): see them, and lift a lock (deletes the rows, audited).
        "axes.accessattempt": ("view", "delete"),
    },
    Role.SECURITY_ADMIN: {
        **REFERENCE,
        "accounts.user": VIEW,
        "accounts.grant": VIEW,
        "chains.position": VIEW,
        "axes.accessattempt": VIEW,
    },
}
ROLE_PERMISSIONS[Role.DEPUTY_CHIEF] = ROLE_PERMISSIONS[Role.CHIEF]


def permissions_for(role: str) -> frozenset[str]:
    out = set()
    for label, actions in ROLE_PERMISSIONS.get(role, {}).items():
        app_label, model_name = label.split(".")
        out.update(f"{app_label}.{action}_{model_name}" for action in actions)
    return frozenset(out)


# Holding a governance position grants this role on the position's chain (rules.md).
POSITION_ROLES = {
    "chief": Role.CHIEF,
    "deputy_chief": Role.DEPUTY_CHIEF,
    "chief_assistant": Role.OFFICE,
    "office_member": Role.OFFICE,
}
