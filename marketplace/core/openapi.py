"""drf-spectacular postprocessing: documents the error responses every API view can give.

Views declare their success responses with `@extend_schema`; the refusals come from the
shared base (marketplace/core/api.py) and its exception handler, always in one shape
(docs/api.md, "Errors"). This hook adds them once, to every operation, so the schema
lists each status code the API really answers with. A response a view documents itself
is left as it is."""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "Error"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error has this shape; `code` is stable, `message` is for people.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "not_found"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Per-field messages (for `invalid`); empty otherwise.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
            "required": ["code", "message", "fields"],
        }
    },
    "required": ["error"],
}

ERROR_DESCRIPTIONS = {
    "400": "`invalid` (per-field messages in `fields`), `rule_violation` or a specific rule "
    "code, `organisation_required`.",
    "401": "`not_authenticated`, `invalid_api_key`, `expired_api_key`.",
    "403": "`not_permitted`, `read_only_key`, `wrong_organisation_kind`, `not_a_member`, "
    "`no_organisation`.",
    "404": "`not_found`: missing, or another organisation's.",
    "409": "`invalid_transition`, `bids_sealed`, `idempotency_key_reused`, "
    "`idempotency_key_in_progress`.",
    "429": "`throttled`; retry after the `Retry-After` header's seconds.",
}

UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def error_statuses(method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses an operation can answer with, from what the base views do:
    any call may be refused (400, 401, 403, 429); an object named in the path, or in a
    write's body (a bid's `job`), may not exist (404) or be in the wrong state (409:
    transitions, sealed bids); a write may also conflict on its idempotency key (409)."""
    statuses = ["400", "401", "403"]
    has_path_object = any(p.get("in") == "path" for p in operation.get("parameters", []))
    if has_path_object or method in UNSAFE_METHODS:
        statuses += ["404", "409"]
    statuses.append("429")
    return statuses


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool):
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: the `Error` component, and the error
    responses of every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_COMPONENT] = ERROR_SCHEMA
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "head", "options", *UNSAFE_METHODS}:
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, operation):
                response: dict[str, Any] = {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": ref}},
                }
                if status == "429":
                    response["headers"] = {
                        "Retry-After": {
                            "schema": {"type": "integer"},
                            "description": "Seconds to wait before retrying.",
                        }
                    }
                responses.setdefault(status, response)
    return result
