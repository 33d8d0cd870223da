"""Serializer fields shared by the API's input serializers.

A plain `serializers.IntegerField` has no bounds, so a number too large for the database
column reached the query and failed there (an OverflowError or DataError, so a 500).
Input integers are bounded here, by the column they end up in or are compared with, and
the bounds appear in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

MAX_OBJECT_ID = 2**63 - 1  # BigAutoField (DEFAULT_AUTO_FIELD)
MAX_POSITIVE_INTEGER = 2**31 - 1  # PositiveIntegerField on PostgreSQL
MAX_POSITIVE_SMALL_INTEGER = 2**15 - 1  # PositiveSmallIntegerField on PostgreSQL


def object_id_field(**kwargs: Any) -> serializers.IntegerField:
    """An input naming an object by its id."""
    return serializers.IntegerField(min_value=1, max_value=MAX_OBJECT_ID, **kwargs)


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, refusing a NUL character before the lookup: PostgreSQL cannot take one in
    a query parameter (a ValueError, so a 500); DRF's CharField refuses it the same way."""

    default_error_messages = {"null_characters": "Null characters are not allowed."}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)
