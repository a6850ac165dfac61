from django.db import migrations

from chainboard import search


class Migration(migrations.Migration):
    """The search index (chainboard.search) of products and contacts, filled from the rows already there."""

    dependencies = [
        ("enterprises", "0005_search_index_compact"),
    ]

    operations = [
        *search.install("enterprises_product", "id", ["name", "brand"]),
        *search.install("enterprises_contact", "id", ["name", "title"]),
    ]
