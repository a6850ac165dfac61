from django.db import models


class KeptCount(models.Model):
    """Counts kept on write: for a declared pair of columns of one table, how many distinct values of
    the one each value of the other has (the enterprises per membership role: ``name`` says which count,
    ``value`` the role, ``n`` the enterprises). Written by database triggers only
    (``chainboard.schema.kept_count``), read by the facets of a list over every row (docs/lists.md,
    "Counts kept on write"). On PostgreSQL each writing statement adds a row of its changes (a delta) and
    readers add them up, so that concurrent writers never wait on one row; the ``fold-kept-counts`` job
    folds them. On SQLite, whose writers take turns anyway, each value keeps one row."""

    name = models.CharField(max_length=100)
    value = models.CharField(max_length=100)
    n = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["name", "value"], name="keptcount_name_value")]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name} {self.value}: {self.n}"
