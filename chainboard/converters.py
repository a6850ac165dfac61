"""URL converters: ``<id:pk>`` matches a database id and nothing else.

Django's ``<int:…>`` takes any run of digits, and ``<str:…>`` anything at all, so ``/enterprises/abc/``
reached the database as ``WHERE id = 'abc'`` (a 500) and ``/enterprises/99999999999999999999/`` asked
SQLite for a number it cannot hold. ``id`` matches 1 to 19 digits and refuses values above the largest
64-bit id, so such a URL is simply not found (404) before any view runs.
"""

from __future__ import annotations

from django.urls import register_converter

MAX_ID = 2**63 - 1  # the largest value of a BigAutoField (and of SQLite's INTEGER)


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id out of range")  # the URL resolver takes a ValueError as no match: 404
        return number

    def to_url(self, value) -> str:
        return str(value)


register_converter(IdConverter, "id")


def is_integer_pk(model) -> bool:
    """Whether ``model``'s primary key is an integer (followed through a primary key that is a relation)."""
    from django.db import models

    field = model._meta.pk
    while field.is_relation and getattr(field, "target_field", None) is not None:
        field = field.target_field
    return isinstance(field, models.IntegerField | models.AutoField)
