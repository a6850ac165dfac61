from django.db import migrations

from chainboard import search


class Migration(migrations.Migration):
    """The enterprise search index (chainboard.search), filled from the rows already there."""

    dependencies = [
        ("enterprises", "0003_membership_role_index"),
    ]

    operations = [*search.install("enterprises_enterprise", "id", ["name", "short_name", "uscc"])]
