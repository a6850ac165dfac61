from django.db import migrations

from chainboard import search


class Migration(migrations.Migration):
    """PostgreSQL: the search table in its compact form (chainboard/search.py), filled from the rows."""

    dependencies = [
        ("enterprises", "0004_search_index"),
    ]

    operations = [*search.compact_postgres("enterprises_enterprise", "id", ["name", "short_name", "uscc"])]
