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
