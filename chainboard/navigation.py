"""The navigation menu; a user sees only what they may view.

An entity's entry comes from its ViewSet (``menu_group``, ``menu_label``, ``menu_order``, ``icon``); each
app declares its group once (``register_group`` in ``AppConfig.ready``). A page that is not a ViewSet's
(the audit trail, locked accounts) registers its entry with ``register(MenuItem(...))``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.text import capfirst

from chainboard import scope


@dataclass(frozen=True)
class MenuItem:
    group: str
    label: str
    url_name: str
    model: str  # "app_label.ModelName": the item shows when the user may view that model
    icon: str = "circle"
    order: int = 100


GROUPS: dict[str, tuple[str, int]] = {}
ITEMS: list[MenuItem] = []  # pages other than a ViewSet's list

# The menu a set of permissions sees, built once per process for each set (a handful: one per role mix)
# and the ViewSets and URLs it was built from; a registration clears it. Labels stay lazy, so one menu serves
# every language.
_MENUS: dict[tuple, tuple] = {}


def register_group(key: str, label, order: int) -> None:
    GROUPS[key] = (label, order)
    _MENUS.clear()


def register(item: MenuItem) -> None:
    if item not in ITEMS:
        ITEMS.append(item)
        _MENUS.clear()


def viewset_items() -> list[MenuItem]:
    """The entries the registered ViewSets declare, in declaration order."""
    from chainboard.views.generic import registered_viewsets

    items = []
    for viewset in registered_viewsets():
        if viewset.menu_group is None:
            continue
        meta = viewset.model._meta
        items.append(
            MenuItem(
                viewset.menu_group,
                viewset.menu_label or capfirst(meta.verbose_name_plural),
                viewset.names()["list"],
                meta.label,
                viewset.icon,
                viewset.menu_order,
            )
        )
    return items


def menu_for(user) -> list[dict]:
    """The menu's groups and entries the user may view, in order: ``[{"label", "items": [{"label",
    "url", "icon"}]}]``. A fresh copy each call (``context`` marks the active entry on it)."""
    if not getattr(user, "is_authenticated", False):
        return []
    from chainboard.views.generic import registered_viewsets

    permissions = scope.permissions(user)
    key = (permissions, tuple(registered_viewsets()), get_script_prefix(), get_urlconf())
    menu = _MENUS.get(key)
    if menu is None:
        if len(_MENUS) > 256:  # registrations made at run time (tests) never pile up
            _MENUS.clear()
        menu = _MENUS[key] = _build(permissions)
    return [{"label": label, "items": [dict(item) for item in items]} for label, items in menu]


def _build(permissions: frozenset[str]) -> tuple:
    from django.apps import apps

    groups: dict[str, list[dict]] = {}
    for item in sorted([*viewset_items(), *ITEMS], key=lambda i: i.order):
        model = apps.get_model(item.model)
        if scope.permission_name(model, "view") not in permissions:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # navigation shows only what exists
        groups.setdefault(item.group, []).append({"label": item.label, "url": url, "icon": item.icon})
    ordered = sorted(groups.items(), key=lambda kv: GROUPS.get(kv[0], ("", 999))[1])
    return tuple((GROUPS.get(key, (key, 0))[0], tuple(items)) for key, items in ordered)


def context(request) -> dict:
    """The menu, each entry marked ``active`` when the page's path starts with its URL ("/" only matches
    itself): worked out here, not by the template, which spent four filters an entry on it."""
    user = getattr(request, "user", None)
    menu = menu_for(user) if user is not None else []
    path = request.path
    for group in menu:
        for item in group["items"]:
            url = item["url"]
            item["active"] = path == "/" if url == "/" else path.startswith(url)
    return {"menu": menu}
