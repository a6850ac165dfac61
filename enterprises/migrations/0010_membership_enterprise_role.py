import django.db.models.deletion
from django.db import migrations, models

from chainboard.schema import drop_lone_index

TABLE = "enterprises_membership"
# The name Django gave the foreign key's own index (restored on the way back).
OLD_INDEX = "enterprises_membership_enterprise_id_e21aaf60"


def drop_enterprise_alone(apps, schema_editor):
    """Drop the index on ``enterprise_id`` alone: the (enterprise, role) index and the (enterprise, chain)
    constraint's answer every lookup it did."""
    drop_lone_index(schema_editor, TABLE, "enterprise_id")


def restore_enterprise_alone(apps, schema_editor):
    model = apps.get_model("enterprises", "Membership")
    schema_editor.add_index(model, models.Index(fields=["enterprise"], name=OLD_INDEX))


class Migration(migrations.Migration):
    """The role facet over some enterprises (a county's, a search's matches) read from one index: (enterprise,
    role). With the foreign key's own index, each membership's row was read for its role: at a million
    enterprises, a county user's role facet (16,700 enterprises) took 82 ms on PostgreSQL and 33 on SQLite,
    now 30 and 22 (bench/README.md, session 27; docs/lists.md, "Facets"). The new index answers every
    lookup the foreign key's own did, so that one is dropped.

    On SQLite, ``AlterField`` would rebuild the whole table to drop an index, so the field's
    ``db_index=False`` changes Django's state only and the index is dropped by its columns."""

    dependencies = [("enterprises", "0009_uscc_key_index")]

    operations = [
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["enterprise", "role"], name="membership_enterprise_role"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="membership",
                    name="enterprise",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="memberships",
                        to="enterprises.enterprise",
                        verbose_name="enterprise",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_enterprise_alone, restore_enterprise_alone)],
        ),
    ]
