"""The five economic regions the letter's teams visit (京津冀, 长三角, 珠三角, 中原城市群, 成渝), with the
provinces each spans (docs/investment.md, Macro-regions). Reference data: the data migration
``0002_macro_regions`` creates them; their provinces are linked there when the divisions are loaded
already, and by :func:`link_provinces` after ``load_regions`` (the demo calls it)."""

from __future__ import annotations

# name → GB/T 2260 province codes. 珠三角 lies within 广东; 中原城市群 (the 2016 development plan) spans
# 河南 and parts of 山西 (晋城 among them), 河北, 山东 and 安徽.
MACRO_REGIONS: dict[str, tuple[str, ...]] = {
    "京津冀": ("110000", "120000", "130000"),
    "长三角": ("310000", "320000", "330000", "340000"),
    "珠三角": ("440000",),
    "中原城市群": ("410000", "140000", "130000", "370000", "340000"),
    "成渝": ("500000", "510000"),
}
SOURCE = "Macro-regions reference"


def link_provinces(macro_region_model=None, region_model=None) -> int:
    """Link each macro-region to its provinces that exist; the number of links added. Idempotent. Takes
    the historical models in a migration."""
    if macro_region_model is None:
        from investment.models import MacroRegion as macro_region_model
    if region_model is None:
        from regions.models import Region as region_model
    added = 0
    for name, codes in MACRO_REGIONS.items():
        macro = macro_region_model.objects.filter(name=name).first()
        if macro is None:
            continue
        present = set(macro.provinces.values_list("code", flat=True))
        missing = list(region_model.objects.filter(code__in=codes).exclude(code__in=present))
        macro.provinces.add(*missing)
        added += len(missing)
    return added
