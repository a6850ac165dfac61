"""The five macro-regions (reference data, investment/macro_regions.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from investment.macro_regions import MACRO_REGIONS, SOURCE, link_provinces

    MacroRegion = apps.get_model("investment", "MacroRegion")
    for name in MACRO_REGIONS:
        MacroRegion.objects.get_or_create(name=name, defaults={"source": SOURCE})
    link_provinces(MacroRegion, apps.get_model("regions", "Region"))


def backwards(apps, schema_editor):
    from investment.macro_regions import MACRO_REGIONS

    apps.get_model("investment", "MacroRegion").objects.filter(name__in=list(MACRO_REGIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("investment", "0001_initial"),
        ("regions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
