"""The enterprises per membership role and per chain, kept on write by database triggers
(chainboard.schema.kept_count; docs/lists.md, "Counts kept on write"), and filled for the memberships
there already. The list of every enterprise reads its role and chain facets from them."""

from django.db import migrations

from chainboard.schema import kept_count


class Migration(migrations.Migration):
    dependencies = [
        ("chainboard", "0023_keptcount"),
        ("enterprises", "0011_membership_region"),
    ]

    operations = [
        kept_count(
            "enterprises_membership", ("role", "chain_id"), "enterprise_id", near="enterprises_enterprise"
        ),
    ]
