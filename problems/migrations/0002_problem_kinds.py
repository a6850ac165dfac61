"""The problem kinds the issue names (要素保障, 融资, 用工, 审批, 市场, 其他); administrators keep the list."""

from django.db import migrations

KINDS = ("要素保障", "融资", "用工", "审批", "市场", "其他")


def load(apps, schema_editor):
    ProblemKind = apps.get_model("problems", "ProblemKind")
    for order, name in enumerate(KINDS, start=1):
        ProblemKind.objects.get_or_create(name=name, defaults={"order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
