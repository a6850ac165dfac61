"""What the search index (``chainboard.search``) keeps beside the rows: the index itself lives in tables
of its own, made by each searchable model's migration (``search.install``), not in models."""

from django.contrib.contenttypes.models import ContentType
from django.db import models


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
