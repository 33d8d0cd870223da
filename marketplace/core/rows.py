"""The API's busiest reads, rendered from `values()` rows instead of model instances.

A serializer stays the one declaration of an output's shape: the OpenAPI schema is
generated from it, and the endpoints that write still answer through it. For the reads
that carry the load (a vendor's job list and a bid, say), building a model instance per
row and asking DRF for every field of it cost most of the request: a page of 50 jobs
was about 350 instances and 1,400 field reads. A `RowPlan` reads the serializer's fields
once and derives everything else from them:

- the `values()` keys of the row: a field's source path joined by "__"
  (`lab.organisation.name` -> `lab__organisation__name`); a related field shown by one
  of its attributes (a code, a slug) adds that attribute (`domain__code`);
- one query per nested list (`many=True`: a nested serializer or a related field), over
  the relation from the row's model, in the related model's own ordering, as a prefetch
  would return it;
- a converter for each field whose Python value is not already its JSON value
  (decimals, dates, times, by the field's own `to_representation`).

`RowPlan.render` returns exactly what `serializer_class(instances, many=True).data`
would; tests/core/test_rows.py holds every plan the API uses to that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, QuerySet
from rest_framework import serializers

Converter = Callable[[Any], Any] | None

# Fields whose value from the database is already their JSON value.
PLAIN_FIELDS = (serializers.IntegerField, serializers.CharField, serializers.BooleanField)
CONVERTED_FIELDS = (
    serializers.DecimalField,
    serializers.DateTimeField,
    serializers.DateField,
    serializers.TimeField,
)


@dataclass(frozen=True)
class Column:
    name: str  # the output key
    key: str  # the values() key
    convert: Converter

    def render(self, value: Any) -> Any:
        return value if value is None or self.convert is None else self.convert(value)


@dataclass(frozen=True)
class NestedList:
    """A list in the output, filled by one query over `relation` for a page of rows."""

    name: str
    relation: str
    columns: tuple[Column, ...]  # of each item; for a list of scalars, one with name ""


def _related_attribute(field: serializers.Field) -> str:
    slug_field = getattr(field, "slug_field", None)
    if not slug_field:
        raise ImproperlyConfigured(
            f"{field!r}: a related field in a row plan must show one attribute (slug_field)."
        )
    return str(slug_field)


def _column(name: str, field: serializers.Field) -> Column:
    path = "__".join(field.source_attrs)
    if isinstance(field, serializers.RelatedField):
        return Column(name, f"{path}__{_related_attribute(field)}", None)
    if isinstance(field, CONVERTED_FIELDS):
        return Column(name, path, field.to_representation)
    if isinstance(field, PLAIN_FIELDS):
        return Column(name, path, None)
    raise ImproperlyConfigured(f"{field!r} cannot be rendered from a row.")


def _nested(name: str, field: serializers.Field) -> NestedList:
    relation = "__".join(field.source_attrs)
    if isinstance(field, serializers.ManyRelatedField):
        attribute = _related_attribute(field.child_relation)
        return NestedList(name, relation, (Column("", attribute, None),))
    assert isinstance(field, serializers.ListSerializer)
    child = field.child
    if not isinstance(child, serializers.Serializer):
        raise ImproperlyConfigured(f"{field!r}: a nested list must hold a serializer.")
    columns = tuple(_column(child_name, f) for child_name, f in child.fields.items())
    return NestedList(name, relation, columns)


class RowPlan:
    def __init__(self, serializer_class: type[serializers.Serializer]):
        fields = serializer_class().fields
        columns, nested = [], []
        for name, field in fields.items():
            if isinstance(field, (serializers.ListSerializer, serializers.ManyRelatedField)):
                nested.append(_nested(name, field))
            else:
                columns.append(_column(name, field))
        self.names = tuple(fields)
        self.columns = tuple(columns)
        self.nested = tuple(nested)
        keys = {column.key for column in self.columns} | {"pk"}
        self.keys = tuple(sorted(keys))

    def values(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The rows `render` needs, in `queryset`'s order and filters (its prefetches,
        which rows do not use, dropped)."""
        return queryset.prefetch_related(None).values(*self.keys)

    def render(self, rows: Iterable[dict[str, Any]], model: type[Model]) -> list[dict[str, Any]]:
        rows = list(rows)
        lists = {nested.name: self._fetch_nested(nested, model, rows) for nested in self.nested}
        output = []
        for row in rows:
            item: dict[str, Any] = {}
            for column in self.columns:
                item[column.name] = column.render(row[column.key])
            for name, by_parent in lists.items():
                item[name] = by_parent.get(row["pk"], [])
            output.append({name: item[name] for name in self.names})
        return output

    def render_one(self, queryset: QuerySet[Any]) -> dict[str, Any] | None:
        rows = list(self.values(queryset)[:1])
        return self.render(rows, queryset.model)[0] if rows else None

    def _fetch_nested(
        self, nested: NestedList, model: type[Model], rows: list[dict[str, Any]]
    ) -> dict[Any, list[Any]]:
        if not rows:
            return {}
        related = model._meta.get_field(nested.relation).related_model
        ordering = []
        for name in related._meta.ordering:  # type: ignore[union-attr]
            if not isinstance(name, str):
                raise ImproperlyConfigured(f"{related}: a row plan follows only named orderings.")
            descending, name = name.startswith("-"), name.lstrip("-")
            ordering.append(f"{'-' if descending else ''}{nested.relation}__{name}")
        item_pk = f"{nested.relation}__pk"
        keys = [f"{nested.relation}__{column.key}" for column in nested.columns]
        found = (
            model._default_manager.filter(pk__in=[row["pk"] for row in rows])
            .filter(**{f"{item_pk}__isnull": False})
            .order_by("pk", *ordering, item_pk)
            .values_list("pk", *keys)
        )
        by_parent: dict[Any, list[Any]] = defaultdict(list)
        if len(nested.columns) == 1 and nested.columns[0].name == "":
            for parent, value in found:
                by_parent[parent].append(value)
            return by_parent
        for parent, *values in found:
            by_parent[parent].append(
                {
                    column.name: column.render(value)
                    for column, value in zip(nested.columns, values, strict=True)
                }
            )
        return by_parent


@cache
def row_plan(serializer_class: type[serializers.Serializer]) -> RowPlan:
    return RowPlan(serializer_class)
