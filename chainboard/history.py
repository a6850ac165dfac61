"""Audit changes for people: related records by name, lists of names, 是/否, "—" for empty; and the
operation that made them in words (导入演示数据, 网页编辑, 导入 企业名单.xlsx), not a label or an id.

Related names are fetched with one query per related model for the whole page, so a history page's
query count does not grow with the number of entries shown.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from chainboard import confidential, formatting, sources
from chainboard.actions import field_label, model_field
from chainboard.audit import Source, diff

# An operation's label (audit.operation(label=...)) -> what it did, in words. Apps add their own
# commands' in ready() (register_operation); a command not registered reads "命令 <name>".
_operation_names: dict[str, Any] = {
    "command:backup": gettext_lazy("Backup"),
    "command:restore": gettext_lazy("Restore from a backup"),
    "command:purge_samples": gettext_lazy("Removal of the sample data"),
    "command:audit purge": gettext_lazy("Purge of old audit entries"),
    "command:unlock": gettext_lazy("Log-in lock lifted"),
    "system:login-lockout": gettext_lazy("Log-in lockout"),
}
_SOURCE_WORDS = {
    Source.WEB: gettext_lazy("Web edit"),
    Source.API: pgettext_lazy("operation", "API"),
    Source.IMPORT: gettext_lazy("Import"),
    Source.TASK: gettext_lazy("Background task"),
    Source.SHELL: gettext_lazy("Server shell"),
}

# Keys of event rows that are no field of the record (a log-in's, a lockout's) and their values' words.
_EVENT_FIELDS = {
    "ip_address": gettext_lazy("IP address"),
    "outcome": gettext_lazy("outcome"),
    "login_locked": gettext_lazy("log-in locked"),
    "failed_attempts": gettext_lazy("failed attempts"),
    "locked_until": gettext_lazy("locked until"),
    "move": gettext_lazy("move"),  # a workflow move (actions.transition): its name, shown by its label
    "comment": gettext_lazy("comment"),
}
_OUTCOMES = {
    "succeeded": gettext_lazy("succeeded"),
    "wrong_credentials": gettext_lazy("wrong user name or password"),
    "locked_out": gettext_lazy("refused: the account is locked"),
}
_LOGIN_ACTIONS = frozenset({"login", "logout", "login_failed"})


def register_operation(label: str, words: Any) -> None:
    """Operations labelled ``label`` (``"command:load_demo"``) read as ``words`` (lazy text)."""
    _operation_names[label] = words


def describe_operations(entries) -> list[dict[str, Any]]:
    """For each audit entry: ``who`` (a person's user name, or None for a command or the system) and
    ``how`` (the operation in words). An import names its file: one query for the whole page."""
    from chainboard.models import ImportJob

    imports = {e.operation_id for e in entries if e.source == Source.IMPORT}
    files = dict(
        ImportJob.objects.filter(operation_id__in=imports).values_list("operation_id", "file_name")
        if imports
        else ()
    )
    out = []
    for entry in entries:
        person = (
            entry.user_id is not None or entry.action in _LOGIN_ACTIONS
        )  # a failed one names the name tried
        label = "" if person else entry.user_name
        if entry.action in _LOGIN_ACTIONS:
            how = _("Log-in page")
        elif label in _operation_names:
            how = str(_operation_names[label])
        elif entry.source == Source.IMPORT:
            name = files.get(entry.operation_id) or label.removeprefix("import:")
            how = _("Import of %(file)s") % {"file": name} if name else _("Import")
        elif entry.source == Source.COMMAND:
            how = _("Command %(name)s") % {"name": label.split(":", 1)[-1] or "?"}
        else:
            how = str(_SOURCE_WORDS.get(entry.source, entry.source))
        out.append({"who": entry.user_name if person else None, "how": how})
    return out


def _measure(model, name: str, entry) -> formatting.Measure | None:
    """The field's measure; one the row decides (PerRow) is picked from the entry's own snapshot."""
    measure = formatting.declared(model, name) if model is not None else None
    if isinstance(measure, formatting.PerRow):
        try:
            return measure.pick(SimpleNamespace(**(entry.after or entry.before or {})))
        except (AttributeError, ValueError):
            return None
    return measure


def _label(model, name: str, measure) -> str:
    if model is None:
        return name
    if model_field(model, name) is None and name in _EVENT_FIELDS:
        return str(_EVENT_FIELDS[name])
    label = field_label(model, name)
    return formatting.bare_label(label) if measure is not None else label  # the value carries the unit


def humanise(entries, user=None) -> list[list[tuple[str, Any, Any]]]:
    """For each audit entry, its changes as (field label, old, new) ready to show. Given the reader, a
    confidential field they may not read shows that it changed, not its values (chainboard/confidential.py)."""
    raw = []
    wanted: dict[type[models.Model], set] = defaultdict(set)
    hidden_by_model: dict[Any, frozenset[str]] = {}
    for entry in entries:
        model = entry.content_type.model_class()
        excluded = set(getattr(model, "audit_exclude", ()))
        if model not in hidden_by_model:
            hidden_by_model[model] = (
                confidential.hidden_fields(user, model) if user is not None else frozenset()
            )
        hidden = hidden_by_model[model]
        changes = []
        for name, (old, new) in diff(entry.before, entry.after).items():
            field = model_field(model, name)
            if name in excluded or (field is not None and getattr(field, "primary_key", False)):
                continue  # the row's id is the auditor's, on the entry itself, not a change to read
            if name in hidden:
                changes.append((None, name, None, confidential.HIDDEN, confidential.HIDDEN))
                continue
            if field is None and name == "move" and getattr(model, "workflow", None) is not None:
                labels = {m.name: str(m.label) for m in model.workflow.transitions}
                old, new = labels.get(old, old), labels.get(new, new)
            changes.append((field, name, _measure(model, name, entry), old, new))
            if field is not None and field.is_relation and field.related_model is not None:
                for value in (old, new):
                    for pk in value if isinstance(value, list) else [value]:
                        if pk not in (None, ""):
                            wanted[field.related_model].add(pk)
        raw.append((model, changes))
    names: dict[type[models.Model], dict[str, str]] = {}
    for related, pks in wanted.items():
        names[related] = {str(o.pk): str(o) for o in related._base_manager.filter(pk__in=pks)}

    def show(field, value, measure=None):
        if value is confidential.HIDDEN:
            return str(value)
        if value in (None, "", []):
            return "—"
        if measure is not None or isinstance(field, models.DecimalField):
            try:  # 4.3亿元, 6户 (docs/formatting.md)
                return str(formatting.shown(Decimal(str(value)), measure))
            except InvalidOperation:
                return value
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if field is not None and field.is_relation and field.related_model in names:
            lookup = names[field.related_model]
            if isinstance(value, list):
                return "、".join(lookup.get(str(v), f"#{v}") for v in value)
            return lookup.get(str(value), f"#{value}")
        if field is not None and getattr(field, "choices", None):
            return dict(field.flatchoices).get(value, value)
        if field is not None and field.name == "source" and isinstance(value, str):
            return sources.display(value)
        if field is None and isinstance(value, str) and value in _OUTCOMES:
            return str(_OUTCOMES[value])
        return value

    out = []
    for model, changes in raw:
        out.append(
            [
                (_label(model, name, m), show(field, old, m), show(field, new, m))
                for field, name, m, old, new in changes
            ]
        )
    return out
