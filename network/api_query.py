"""Query strings of the API, checked by a serializer like a body.

The serializer that checks a list's filters is also what the schema lists as its parameters
(``extend_schema(parameters=[SomeQuery])``), so what the schema declares is what is enforced:
an unknown ``status`` or a ``page`` of 0 is a 400 ``validation_error``, never silently ignored.
"""

from __future__ import annotations

from rest_framework import serializers


def validated_query(query_class: type[serializers.Serializer], request) -> dict:
    """The request's query parameters as ``query_class`` validates them (a 400 when not valid).

    Each parameter is read once, and an empty value is a value: ``?status=`` is refused where
    ``status`` is a choice, rather than read as "no filter" the way HTML forms send it."""
    params = request.query_params
    query = query_class(data={name: params.get(name) for name in params})
    query.is_valid(raise_exception=True)
    return query.validated_data
