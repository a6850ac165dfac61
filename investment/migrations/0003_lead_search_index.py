from django.db import migrations

from chainboard import search


class Migration(migrations.Migration):
    """The lead search index (chainboard.search): the list's search and the duplicate check."""

    dependencies = [
        ("investment", "0002_macro_regions"),
    ]

    operations = [*search.install("investment_lead", "id", ["company_name", "uscc"])]
