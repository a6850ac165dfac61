import django.db.models.deletion
from django.db import migrations, models

from chainboard.schema import foreign_key_index_dropped


class Migration(migrations.Migration):
    """The role facet over some enterprises (a county's, a search's matches) read from one index: (enterprise,
    role). With the foreign key's own index, each membership's row was read for its role: at a million
    enterprises, a county user's role facet (16,700 enterprises) took 82 ms on PostgreSQL and 33 on SQLite,
    now 30 and 22 (bench/README.md, session 27; docs/lists.md, "Facets"). The new index answers every
    lookup the foreign key's own did, so that one is dropped
    by its columns (``chainboard.schema``), not by ``AlterField``."""

    dependencies = [("enterprises", "0009_uscc_key_index")]

    operations = [
        migrations.AddIndex(
            model_name="membership",
            index=models.Index(fields=["enterprise", "role"], name="membership_enterprise_role"),
        ),
        foreign_key_index_dropped(
            "enterprises",
            "membership",
            "enterprise",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to="enterprises.enterprise",
                verbose_name="enterprise",
            ),
            # The name Django gave the foreign key's own index (restored on the way back).
            "enterprises_membership_enterprise_id_e21aaf60",
        ),
    ]
