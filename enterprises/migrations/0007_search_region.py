from django.db import migrations

from chainboard import search


class Migration(migrations.Migration):
    """The enterprise search index rebuilt with the region tokens of each enterprise's region code
    (``Enterprise.search_region``; docs/search.md, "Region tokens"): a search within a county asks the
    index for the term and the county at once."""

    dependencies = [
        ("enterprises", "0006_product_contact_search_index"),
        ("chainboard", "0022_search_words_pairs"),
    ]

    operations = [
        *search.carry_region("enterprises_enterprise", "id", ["name", "short_name", "uscc"], "region_id"),
    ]
