"""Integer input bounded by the column it fills.

A whole number a form or the API accepts ends in a PostgreSQL column (or is compared with one),
and PostgreSQL refuses a value beyond the column's range with an error rather than a message.
These fields take their range from the column: the 32-bit ``integer`` of Django's
``IntegerField`` / ``PositiveIntegerField`` unless ``column=`` names another model field
(a ``smallint``, a ``bigint`` id). A tighter ``min_value`` / ``max_value`` of the caller wins.
"""

from __future__ import annotations

from django import forms
from django.db import connection, models
from rest_framework import serializers


def column_range(column: models.Field | None = None) -> tuple[int, int]:
    """The smallest and largest value ``column`` holds (``integer``'s range by default)."""
    internal_type = column.get_internal_type() if column is not None else "IntegerField"
    low, high = connection.ops.integer_field_range(internal_type)
    return low, high


def _bounds(kwargs: dict, column: models.Field | None) -> dict:
    low, high = column_range(column)
    min_value, max_value = kwargs.get("min_value"), kwargs.get("max_value")
    kwargs["min_value"] = low if min_value is None else max(min_value, low)
    kwargs["max_value"] = high if max_value is None else min(max_value, high)
    return kwargs


class IntegerFormField(forms.IntegerField):
    """A form's whole number, never beyond its column's range."""

    def __init__(self, *, column: models.Field | None = None, **kwargs):
        super().__init__(**_bounds(kwargs, column))


class IntegerSerializerField(serializers.IntegerField):
    """An API field's whole number, never beyond its column's range (and the schema says so)."""

    def __init__(self, *, column: models.Field | None = None, **kwargs):
        super().__init__(**_bounds(kwargs, column))
