"""The import pages' part for wide ledgers: related columns in the mapping, the file's period, and the
column table (where each column goes, which are ignored). See ``chainboard/imports/related.py``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from chainboard.imports.mapping import Spec
from chainboard.imports.related import FilePeriod, RelatedSpec, column_plan, period_problems
from chainboard.periods import PeriodType


def field_groups(spec: Spec, related: RelatedSpec) -> list[dict]:
    """The mapping step's choices: the entity's own fields, then each related entity's."""
    groups = [
        {
            "label": str(spec.model._meta.verbose_name),
            "fields": [
                {"name": c.name, "label": c.label, "required": c.required} for c in spec.columns.values()
            ],
        }
    ]
    for item in related.related:
        fields = [
            {"name": c.name, "label": c.field_label, "required": False}
            for c in related.columns.values()
            if c.related is item
        ]
        if fields:
            groups.append({"label": str(item.model._meta.verbose_name), "fields": fields})
    return groups


def wide_context(spec: Spec, related: RelatedSpec, job) -> dict:
    period = FilePeriod.from_options(job.options)
    plan = column_plan(spec, related, job.headers, job.mapping, period)
    counts = []
    for item in related.related:
        found = job.related_counts.get(item.prefix)
        if found:
            counts.append({"label": item.model._meta.verbose_name_plural, **found})
    extra = [
        related.columns[job.mapping[k]]
        for k in sorted(job.mapping, key=int)
        if job.mapping[k] in related.columns
    ]
    return {
        "field_groups": field_groups(spec, related),
        "asks_period": related.needs_period,
        "asks_year": related.needs_year,
        "period": period,
        "period_types": PeriodType.choices,
        "plan": plan,
        "ignored": [p["header"] for p in plan if not p["destination"]],
        "related_counts": counts,
        "related_headers": [c.destination(period) for c in extra],
    }


def read_period(post, related: RelatedSpec) -> tuple[FilePeriod, list[str]]:
    """The period chosen on the mapping step, and what is wrong with it (nothing when no column
    fills a record that needs it)."""

    def number(name: str) -> int | None:
        text = (post.get(name) or "").strip()
        return int(text) if text.isdigit() else None

    period = FilePeriod(
        period_type=post.get("period_type") or "",
        year=number("period_year"),
        month=number("period_month"),
        status_year=number("status_year"),
    )
    mapped = {v for k, v in post.items() if k.startswith("column-") and v in related.columns}
    wanted = {related.columns[name].related for name in mapped}
    problems: list[str] = []
    if any(r.period for r in wanted):
        problems = period_problems(period)
    elif any(r.year for r in wanted) and period.status_year is None and period.year is None:
        problems = [_("Choose the year of the above-size status.")]
    return period, problems
