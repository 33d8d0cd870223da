"""Hostile bodies for every API route that creates or acts. Hypothesis starts from the
valid call the route-policy world makes for the route (tests/api/test_route_policy.py:
the object in the state the move needs, a body that succeeds) and breaks it: one or more
of its fields, or of the route's other fields in the OpenAPI schema, get values of the
wrong type or at the edges (NUL and lone surrogates, 10,000-character strings, 2**63,
"1e1000", "NaN", day 0, year 10000, nested junk), or the body is not an object at all,
or the object id is out of range. No answer may be a 5xx. tests/api/test_schemathesis.py
checks the same routes against the schema with schema-shaped data; this file aims at the
values in between.

Each example runs in a transaction that is rolled back, so each meets the world in the
state the move needs. Bounded: a fixed number of examples per route, derandomized, no
shrinking, one world for all routes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.api.test_route_policy import (  # noqa: F401  (world is a fixture)
    READ_ROUTES,
    World,
    _calls,
    api_routes,
    world,
)

pytestmark = pytest.mark.django_db

EXAMPLES_PER_ROUTE = 15
FUZZ = settings(
    max_examples=EXAMPLES_PER_ROUTE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)

# --- values ---------------------------------------------------------------------------------

EDGE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: valid JSON ("\ud800"), not encodable as UTF-8
    "x" * 10_000,
    "<script>alert(1)</script>",
    "'; DROP TABLE vendors_vendor; --",
    "../../etc/passwd",
    "\u202eexe.pdf",
    "١٢٣",  # Arabic-Indic digits
    "\uff11\uff12\uff13",  # full-width digits
    "NaN",
    "-Infinity",
    "1e1000",
    "-0",
    "9" * 40,
    "0.0000000001",
    "1,5",
    " 42 ",
    "0x10",
    "0000-00-00",
    "2024-02-30",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2024-01-01T25:61:00",
    "9999-12-31T23:59:59.999999-23:59",
    "0001-01-01T00:00:00+14:00",
    "null",
    "true",
    "https://169.254.169.254/latest/meta-data/",
    "http://localhost:8000/",
    "shareholding",
]
EDGE_NUMBERS = [0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, 1e308, -1e-308, 0.5]
EDGE_IDS = [0, 2**31, 2**63 - 1, 10**30]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(EDGE_NUMBERS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(EDGE_STRINGS),
    st.text(max_size=20),
)
hostile = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=5,
)
FILE_CONTENTS = st.sampled_from(
    [b"", b"%PDF-1.7 x", b"<html></html>", b"\x00\xff" * 50, b"[]", b'[{"a": 1}]', b"a,b\n1,2\n"]
)


# --- the routes -----------------------------------------------------------------------------

SCHEMA_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def _schema_fields() -> dict[tuple[str, str], tuple[str | None, dict[str, dict[str, Any]]]]:
    """(path template, method) -> (request media type, request body properties)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[-1]]
        return node

    found = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            media_type = next(iter(content), None)
            body = resolve(content[media_type]["schema"]) if media_type else {}
            found[(path, method)] = (media_type, dict(body.get("properties", {})))
    return found


def _routes_that_act() -> list[tuple[str, str, str]]:
    calls = []
    for route, entry, method in _calls():
        method = method or ("get" if entry in READ_ROUTES else "post")
        if method in ("post", "put", "patch", "delete") and route.startswith("api:v1:"):
            calls.append((route, entry, method))
    return calls


ROUTES = _routes_that_act()


def caller_for(route: str) -> str:
    return "vendor_owner" if route.startswith("api:v1:vendor-") else "lab_owner"


def bodies(valid: dict[str, Any], fields: list[str]) -> st.SearchStrategy[Any]:
    names = sorted({*valid, *fields, "unexpected"})
    changes = st.dictionaries(st.sampled_from(names), hostile, min_size=1, max_size=3)

    def broken(changes: dict[str, Any]) -> dict[str, Any]:
        return {**valid, **changes}

    def without(name: str) -> dict[str, Any]:
        return {key: value for key, value in valid.items() if key != name}

    strategies = [st.builds(broken, changes), st.builds(broken, changes), hostile]
    if valid:
        strategies.append(st.sampled_from(sorted(valid)).map(without))
    return st.one_of(strategies)


def object_ids(valid: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly the world's object (so the body is what is judged), now and then an id
    out of range."""
    if not valid or not all(isinstance(value, int) for value in valid.values()):
        return st.just(valid)
    edge = st.fixed_dictionaries({name: st.sampled_from(EDGE_IDS) for name in valid})
    return st.builds(lambda roll, ids: ids if roll == 0 else valid, st.integers(0, 4), edge)


def form_value(value: Any) -> Any:
    """What a multipart form can carry: text, and lists of it."""
    if value is None:
        return ""
    if isinstance(value, list):
        return [form_value(item) for item in value if not isinstance(item, list | dict)]
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value).encode("utf-8", "surrogatepass")


def send(
    client: APIClient,
    method: str,
    url: str,
    body: Any,
    media_type: str | None,
    file_fields: list[str],
    upload: bytes,
) -> Any:
    if media_type == "multipart/form-data" and isinstance(body, dict):
        form = {name: form_value(value) for name, value in body.items()}
        for name in file_fields:
            form[name] = SimpleUploadedFile(f"../{str(body.get(name, 'x'))[:20]}", upload)
        encoded, content_type = encode_multipart(BOUNDARY, form), MULTIPART_CONTENT
    else:
        encoded = json.dumps(body).encode("utf-8", "surrogatepass")
        content_type = "application/json"
    return client.generic(method.upper(), url, encoded, content_type=content_type)


def test_every_acting_route_is_fuzzed() -> None:
    assert len(ROUTES) >= 35
    assert {method for _, _, method in ROUTES} == {"post", "patch", "delete"}


def test_no_hostile_request_makes_the_server_fail(
    world: World,  # noqa: F811  (the route-policy fixture, imported above)
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.API_THROTTLE_RATES = {"write_key": None, "read_key": None, "user": None}
    cache.clear()

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        import requests

        raise requests.ConnectionError("the fuzz test sends no webhook")

    monkeypatch.setattr("requests.post", unreachable)
    schema_fields = _schema_fields()
    patterns = api_routes()
    failures: list[str] = []
    for route, entry, method in ROUTES:
        template = "/" + SCHEMA_PARAMETER.sub(r"{\1}", patterns[route])
        media_type, properties = schema_fields.get((template, method), (None, {}))
        file_fields = [
            name for name, prop in properties.items() if prop.get("format") in ("uri", "binary")
        ]
        kwargs = world.ids.get(route, {})
        client = world.clients[caller_for(route)]
        fuzz_route(
            failures,
            f"{method.upper()} {template}",
            url=lambda ids, route=route: reverse(route, kwargs=ids),
            ids=object_ids(kwargs),
            body=bodies(world.bodies.get(entry, {}), list(properties)),
            call=lambda url, body, upload, m=method, mt=media_type, ff=file_fields, c=client: send(
                c, m, url, body, mt, ff, upload
            ),
        )

    assert not failures, f"{len(failures)} requests failed:\n" + "\n".join(failures[:10])


def fuzz_route(
    failures: list[str],
    label: str,
    *,
    url: Callable[[dict[str, Any]], str],
    ids: st.SearchStrategy[dict[str, Any]],
    body: st.SearchStrategy[Any],
    call: Callable[[str, Any, bytes], Any],
) -> None:
    @FUZZ
    @given(ids=ids, body=body, upload=FILE_CONTENTS)
    def attempt(ids: dict[str, Any], body: Any, upload: bytes) -> None:
        with transaction.atomic():
            response = call(url(ids), body, upload)
            transaction.set_rollback(True)
        if response.status_code >= 500:
            failures.append(f"{label}: {response.status_code} for {body!r:.300}")

    attempt()
