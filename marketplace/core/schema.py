"""The OpenAPI schema class (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]).

Views keep DRF's default parsers (JSON, form, multipart), so drf-spectacular would list
all three media types for every request body. Clients generated from the schema
(tests/api/test_generated_client.py) then send the last one, multipart, which cannot
carry nested input such as a job's seat requirements or an award's shares. The API is
JSON: a body is documented as application/json only, unless its input takes a file,
whose endpoint is documented as multipart (and form) as before.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers

JSON = "application/json"


def _takes_files(serializer: Any) -> bool:
    serializer = force_instance(serializer)
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    fields = getattr(serializer, "fields", None) or {}
    return any(isinstance(field, serializers.FileField) for field in fields.values())


class JSONBodyAutoSchema(AutoSchema):
    def map_parsers(self) -> list[Any]:
        media_types = super().map_parsers()
        if JSON in media_types and not _takes_files(self.get_request_serializer()):
            return [JSON]
        return media_types
