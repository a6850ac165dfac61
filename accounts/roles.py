"""Roles and what each may do (``rules.md``, Scope). Permissions read ``<app>.<action>_<model>``.

Scope (which rows) comes from the grant; the permissions say which kinds of record and which actions.
Each app declares its own in ``<app>/access.py`` (``PERMISSIONS = {role: {"app.model": actions}}``, the
framework's own models in ``chainboard/access.py``); this module keeps the roles and the building blocks
and composes ``ROLE_PERMISSIONS`` from every installed app's declarations when the apps are ready
(``AccountsConfig.ready``). The deputy chief holds the chief's permissions wherever an app declares none
for the deputy.
"""

import importlib

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CHIEF = "chief", _("chain chief")
    DEPUTY_CHIEF = "deputy_chief", _("deputy chain chief")
    OFFICE = "office", _("chain office")
    COUNTY = "county", _("county or town staff")
    INVESTMENT = "investment", _("investment team")
    ENTERPRISE = "enterprise", _("enterprise user")
    UNIT = "unit", _("handling unit")
    AUDITOR = "auditor", _("auditor")
    ADMIN = "admin", _("administrator")
    SECURITY_ADMIN = "security_admin", _("security administrator")


# Building blocks for the apps' declarations.
ALL = ("view", "add", "change", "delete")
VIEW = ("view",)
# Reference data (regions, industry classes) is read by every role but the auditor, who reads the trail only.
REFERENCE_READERS = (
    "chief",
    "office",
    "county",
    "investment",
    "enterprise",
    "unit",
    "admin",
    "security_admin",
)


def all_of(*labels: str) -> dict[str, tuple[str, ...]]:
    """Every one of the four actions on each of ``labels``."""
    return dict.fromkeys(labels, ALL)


# role → "app_label.model_name" → actions; filled by ``compose()`` once the apps are loaded.
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {}


def declarations() -> list[tuple[str, dict]]:
    """``(app name, PERMISSIONS)`` of every installed app with an ``access`` module, in app order."""
    found = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.access")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.access":
                raise
            continue
        found.append((config.name, module.PERMISSIONS))
    return found


def compose(declared: list[tuple[str, dict]] | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """Every role's permissions from the apps' declarations. A role name that is not a ``Role`` or a
    model declared by two apps for one role is a mistake, refused at start-up."""
    out: dict[str, dict[str, tuple[str, ...]]] = {role.value: {} for role in Role}
    for app, permissions in declarations() if declared is None else declared:
        unknown = set(permissions) - set(out)
        if unknown:
            raise ImproperlyConfigured(f"{app}.access names unknown roles: {sorted(unknown)}")
        by_role = dict(permissions)
        if Role.CHIEF in by_role and Role.DEPUTY_CHIEF not in by_role:
            by_role[Role.DEPUTY_CHIEF] = by_role[Role.CHIEF]
        for role, labels in by_role.items():
            for label, actions in labels.items():
                if label in out[role]:
                    raise ImproperlyConfigured(f"{app}.access declares {label} for {role} a second time")
                out[role][label] = tuple(actions)
    return out


def load() -> None:
    """Fill ``ROLE_PERMISSIONS`` (called from ``AccountsConfig.ready``)."""
    ROLE_PERMISSIONS.clear()
    ROLE_PERMISSIONS.update(compose())


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
