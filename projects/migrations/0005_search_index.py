from django.db import migrations

from chainboard import search


class Migration(migrations.Migration):
    """The project search index (chainboard.search), filled from the rows already there."""

    dependencies = [
        ("projects", "0004_list_indexes"),
    ]

    operations = [*search.install("projects_project", "id", ["name"])]
