from django.db import migrations

from chainboard import search


class Migration(migrations.Migration):
    """PostgreSQL: the search table in its compact form (chainboard/search.py), filled from the rows."""

    dependencies = [
        ("investment", "0003_lead_search_index"),
    ]

    operations = [*search.compact_postgres("investment_lead", "id", ["company_name", "uscc"])]
