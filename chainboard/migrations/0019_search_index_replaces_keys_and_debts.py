from django.db import migrations


class Migration(migrations.Migration):
    """The search key table and the search debts give way to the search index of each searchable model
    (chainboard.search; the enterprises' is made and filled by enterprises 0003), written in the same
    transaction as its rows, so no import ever owes keys."""

    dependencies = [
        ("chainboard", "0018_transition"),
        ("enterprises", "0004_search_index"),
    ]

    operations = [
        migrations.DeleteModel(name="SearchDebt"),
        migrations.DeleteModel(name="SearchKey"),
    ]
