"""Database functions the ORM lacks, the same on SQLite and PostgreSQL."""

from django.db.models import Aggregate, TextField


class StringJoin(Aggregate):
    """The values of a group joined into one string: ``GROUP_CONCAT`` on SQLite, ``STRING_AGG`` on
    PostgreSQL. ``StringJoin(expression, Value(separator))``; the order within the group is not defined."""

    function = "GROUP_CONCAT"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra_context)
