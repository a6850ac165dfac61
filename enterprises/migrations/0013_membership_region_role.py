from django.db import migrations, models


class Migration(migrations.Migration):
    """The role facet of a region's enterprises read off one index: (region, role, enterprise), the region
    each membership carries (0011). A county user's role facet (16,700 enterprises of a million) took
    20 ms on SQLite and 40-56 on PostgreSQL looking up each enterprise's memberships, now 8.5 and 5.5; a
    city's 91 → 38 ms on SQLite (bench/README.md, session 31; docs/lists.md, "A region carried on the
    memberships")."""

    dependencies = [("enterprises", "0012_membership_kept_counts")]

    operations = [
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["region", "role", "enterprise"], name="membership_region_role"),
        ),
    ]
