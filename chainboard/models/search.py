"""Search keys: the index behind ``chainboard.search`` (see that module for the key scheme).

One row per (model, object, key). The primary key (content type, key, object id) is also the lookup
index: every search is an equality or a range on ``key`` within one content type, answered from this
B-tree alone on SQLite and PostgreSQL. The second index (content type, object id, key) serves
re-indexing and removal of one object, and answers "does this object have a key in this range" in one
seek, which the first page of a common term asks of each row it walks (``search.Matches``). There is no surrogate id: at a million enterprises the table holds tens of
millions of rows, and an id column plus its index would add a third of the size for nothing.

On PostgreSQL the migration gives ``key`` the "C" collation, so that the range ``key >= 'jb' AND
key < 'jc'`` means "starts with jb" (bytewise, as SQLite's default BINARY collation compares); a
language collation would order ignoring the marker characters. A later ``AlterField`` on ``key`` must
keep that collation.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models


class SearchKey(models.Model):
    pk = models.CompositePrimaryKey("content_type", "key", "object_id")
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # covered by the primary key, which starts with it
    )
    key = models.CharField(max_length=48)
    object_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["content_type", "object_id", "key"], name="searchkey_object_key")]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id}:{self.key!r}"


class SearchDebt(models.Model):
    """Search keys an import still owes: one row per (model, operation), written in the import's own
    transaction and deleted once the keys of its rows are written (``chainboard.searchdebts``).

    The keys are written after the commit, in batches of their own (the import's transaction stays
    short). If the process dies in between, this row outlives it: the task worker finds its owner gone
    (same host: by process id and start time) and rebuilds the keys of the rows the operation created
    or changed, at its start and then at every heartbeat.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    operation_id = models.UUIDField()
    # The process writing the keys: while it runs, nobody else touches them.
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    process_started = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "operation_id"], name="searchdebt_model_operation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.operation_id}"
