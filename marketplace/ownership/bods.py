"""BODS 0.4 import and export (DESIGN section 4, last paragraph).

Import (`bods_import`) reads a JSON array of statements or JSON Lines, streaming: the
array with ijson, JSON Lines line by line, so memory grows with the number of records in a
file, never with its size in bytes. After a quick scan of its bytes that refuses arrays and
objects nested deeper than any BODS statement (MAX_NESTING), it reads the file up to
three times:

1. validate every statement and note, per record id, its record type and the position of
   its last statement (statements of one record come in order: the last one wins), and
   check that every subject and interested party is declared in the file or already in
   the database;
2. write the last statement of every record, in file order; a relationship whose parties
   are declared further down the file waits;
3. only if some relationship waited: write those.

All of it runs in one transaction, so an invalid file writes nothing.

What a record's last statement does:

- entity or person, whatever its status: created, or updated where its details differ.
  A closing statement marks nothing: the entity stays, and stakes may still name it.
- relationship: its interests become the stakes (record id, interest index). A stake
  that differs is updated in place (the history table keeps the former values); a new
  index is created; an index the statement no longer lists is ended on the statement date
  (not deleted, so the trail stays). A closing statement ends every interest: on the
  interest's endDate if it gives one, else on the statement date. An end that would not
  fall after the stake's start is moved to the day after the start, with a warning.
- a relationship whose subject or interested party is unspecified ({reason,
  description}) or that lists no interests creates no stake; it is reported as skipped
  (and stakes an earlier import made for that record are ended).

Nothing unchanged is written: a second import of the same file adds no rows, no history
and no version. Only ownership fields count as a change; the provenance fields
(provenance "imported", source note, declared date = statement date, entity source) are
refreshed along with a real change, never alone. Shares map to percent: exact, or
minimum/exclusiveMinimum and maximum/exclusiveMaximum as the bounds; an interest with no
type is an unknownInterest, one with no directOrIndirect is "unknown". A person's name is
its first fullName and its jurisdiction its first nationality. A stake's is_component is
not stored (stake_create and stake_update do not take it); the export derives it.

Export (`bods_export`) writes every entity, person and stake as BODS 0.4 statements:
entities and persons first, then the relationships (components before the relationships
that list them), one relationship statement per stake record id with its stakes as
interests in interest-index order. Statement ids are uuid5 of the record id and a hash of
the statement's content, so unchanged data exports to the same statements. isComponent is
an entity's stored flag; for a relationship, its stakes' flag or whether another
relationship lists it among its componentRecords.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO

import ijson
import pycountry
from django.db import transaction
from django.utils import timezone

from marketplace.core.errors import DomainError
from marketplace.ownership.models import (
    PERSON_TYPES,
    DirectOrIndirect,
    Entity,
    EntityType,
    InterestType,
    Provenance,
    RecordType,
    Stake,
)
from marketplace.ownership.services import (
    entity_create,
    entity_update,
    stake_create,
    stake_update,
)

BODS_VERSION = "0.4"
PUBLISHER_NAME = "Expert Data Exchange"
# Fixed namespace for the export's uuid5 statement ids; never change it, or every
# statement id changes with it.
STATEMENT_ID_NAMESPACE = uuid.UUID("5d0c3f4e-8a51-4c1f-9a63-2f7b0d6c1e90")

RECORD_STATUSES = ("new", "updated", "closed")
ENTITY_TYPES = frozenset(EntityType.values) - {t.value for t in PERSON_TYPES}
PERSON_TYPE_VALUES = frozenset(t.value for t in PERSON_TYPES)
ONE_MILLIONTH = Decimal("0.000001")
DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}")
IDENTIFIER_KEYS = ("id", "scheme", "schemeName", "uri")
MAX_RECORD_ID = Entity._meta.get_field("record_id").max_length or 200
MAX_NAME = Entity._meta.get_field("name").max_length or 300
MAX_JURISDICTION = Entity._meta.get_field("jurisdiction").max_length or 10
MAX_SOURCE = Entity._meta.get_field("source").max_length or 200
MAX_SOURCE_NOTE = Stake._meta.get_field("source_note").max_length or 300
# Stream files that cannot seek (stdin, an upload) to disk past this size for the passes.
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
# BODS statements nest six deep at most. The streaming parser spends time and memory
# that grow with the square of the depth, so a small file of "[[[[..." could exhaust
# the machine; deeper files are refused before it reads them.
MAX_NESTING = 32


class BodsImportError(DomainError):
    """The file is not BODS 0.4 the import can take. Names the statement at fault."""

    code = "bods_invalid"

    def __init__(self, message: str, *, where: str = "", statement_id: str | None = None):
        if where:
            named = f"statementId {statement_id!r}" if statement_id else "no statementId"
            message = f"{where} ({named}): {message}"
        super().__init__(message)
        self.where = where
        self.statement_id = statement_id


class BodsExportError(DomainError):
    code = "bods_export_failed"


# --- summaries ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    record_id: str
    statement_id: str
    reason: str


@dataclass(slots=True)
class ImportSummary:
    source: str
    statements: int = 0
    records: int = 0
    entities_created: int = 0
    entities_updated: int = 0
    entities_unchanged: int = 0
    stakes_created: int = 0
    stakes_updated: int = 0
    stakes_ended: int = 0
    stakes_unchanged: int = 0
    records_closed: int = 0
    skipped: list[SkippedRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.entities_created
            or self.entities_updated
            or self.stakes_created
            or self.stakes_updated
            or self.stakes_ended
        )

    def lines(self) -> list[str]:
        lines = [
            f"{self.source}: {self.statements} statements, {self.records} records",
            f"  entities and persons: {self.entities_created} created, "
            f"{self.entities_updated} updated, {self.entities_unchanged} unchanged",
            f"  stakes: {self.stakes_created} created, {self.stakes_updated} updated, "
            f"{self.stakes_ended} ended, {self.stakes_unchanged} unchanged",
            f"  records closed: {self.records_closed}; skipped: {len(self.skipped)}",
        ]
        lines += [
            f"  skipped {s.record_id} (statement {s.statement_id}): {s.reason}"
            for s in self.skipped
        ]
        lines += [f"  warning: {w}" for w in self.warnings]
        return lines


@dataclass(slots=True)
class ExportSummary:
    entities: int = 0
    persons: int = 0
    relationships: int = 0
    interests: int = 0

    @property
    def statements(self) -> int:
        return self.entities + self.persons + self.relationships


# --- reading statements -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _At:
    """Where a statement sits: its ordinal in the file and how to name it to a person."""

    ordinal: int
    label: str


def _json_start(fp: BinaryIO) -> tuple[int, int, bytes]:
    """The length of a UTF-8 byte order mark (0 or 3), and the offset and value of the
    first byte that is neither whitespace nor that mark."""
    fp.seek(0)
    bom = 3 if fp.read(3) == b"\xef\xbb\xbf" else 0
    fp.seek(bom)
    offset = bom
    while chunk := fp.read(65536):
        stripped = chunk.lstrip(b" \t\r\n")
        if stripped:
            return bom, offset + len(chunk) - len(stripped), stripped[:1]
        offset += len(chunk)
    return bom, offset, b""


_ESCAPE_PAIR = re.compile(rb"\\.", re.DOTALL)
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'"[]{}')
_NESTING_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _check_nesting(fp: BinaryIO) -> None:
    """Refuses a file whose arrays and objects nest deeper than MAX_NESTING, reading it
    in chunks at the speed of bytes methods: escape pairs are dropped, then everything
    but quotes and brackets, and only the brackets between strings count."""
    fp.seek(0)
    in_string, depth, carry = False, 0, b""
    while chunk := fp.read(1024 * 1024):
        data = _ESCAPE_PAIR.sub(b"", carry + chunk)
        carry = b""
        if data.endswith(b"\\"):  # an escape pair the chunk boundary cuts in two
            data, carry = data[:-1], b"\\"
        parts = data.translate(None, _NOT_STRUCTURE).split(b'"')
        structure = b"".join(parts[1::2] if in_string else parts[0::2])
        in_string ^= len(parts) % 2 == 0
        levels = itertools.accumulate((_NESTING_STEP[byte] for byte in structure), initial=depth)
        for depth in levels:
            if depth > MAX_NESTING:
                raise BodsImportError(
                    f"The file nests arrays or objects more than {MAX_NESTING} deep; "
                    "BODS statements never do."
                )
    fp.seek(0)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON value")


def _statements(fp: BinaryIO) -> Iterator[tuple[_At, Any]]:
    bom, offset, first = _json_start(fp)
    if not first:
        raise BodsImportError("The file is empty: it holds no BODS statements.")
    if first == b"[":
        fp.seek(offset)
        ordinal = 0
        try:
            # use_float: building a Python int from an integer of over 4,300 digits
            # crashes the process in ijson's C backend (3.6); so, integers are read as C
            # integers (one too large is a parse error) and fractions as floats.
            items = ijson.items(fp, "item", use_float=True)
            for ordinal, item in enumerate(items, start=1):
                yield _At(ordinal, f"statement {ordinal}"), item
        except (ijson.JSONError, UnicodeDecodeError, RecursionError) as error:
            reason = error.args[0] if error.args else error
            if isinstance(reason, bytes):  # the C parser reports in bytes
                reason = reason.decode("utf-8", "replace")
            detail = str(reason).splitlines()[0]
            raise BodsImportError(
                f"statement {ordinal + 1}: the file is not valid JSON ({detail})."
            ) from error
    elif first == b"{":
        fp.seek(bom)
        ordinal = 0
        for line_number, line in enumerate(fp, start=1):
            if not line.strip():
                continue
            ordinal += 1
            try:
                item = json.loads(line, parse_float=Decimal, parse_constant=_not_json)
            except (ValueError, RecursionError) as error:
                raise BodsImportError(
                    f"line {line_number}: not a JSON object on one line ({error}). "
                    "JSON Lines hold one statement per line."
                ) from error
            yield _At(ordinal, f"line {line_number}"), item
    else:
        raise BodsImportError(
            "The file is not JSON: it must hold a JSON array of BODS statements, "
            "or JSON Lines with one statement per line."
        )


# --- one statement, checked and reduced to what the platform keeps --------------------------


@dataclass(frozen=True, slots=True)
class _Head:
    at: _At
    statement_id: str
    record_id: str
    status: str
    statement_date: date

    def error(self, message: str) -> BodsImportError:
        return BodsImportError(message, where=self.at.label, statement_id=self.statement_id)


@dataclass(frozen=True, slots=True)
class _EntityRecord:
    head: _Head
    entity_type: str
    name: str
    jurisdiction: str
    identifiers: list[dict[str, str]]
    is_component: bool

    @property
    def kind(self) -> str:
        return RecordType.PERSON if self.entity_type in PERSON_TYPE_VALUES else RecordType.ENTITY


@dataclass(frozen=True, slots=True)
class _Interest:
    interest_type: str
    share_exact: Decimal | None
    share_min: Decimal | None
    share_max: Decimal | None
    direct_or_indirect: str
    beneficial_ownership_or_control: bool
    start_date: date | None
    end_date: date | None


@dataclass(frozen=True, slots=True)
class _RelationshipRecord:
    head: _Head
    subject: str | None
    interested_party: str | None
    unspecified: str  # why no stake can be made: an unspecified party, or no interests
    interests: tuple[_Interest, ...]
    component_record_ids: list[str]
    is_component: bool

    kind = "relationship"

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(p for p in (self.subject, self.interested_party) if p is not None)


def _parse(raw: Any, at: _At) -> _EntityRecord | _RelationshipRecord:
    if not isinstance(raw, dict):
        raise BodsImportError("a statement must be a JSON object.", where=at.label)
    statement_id = raw.get("statementId")
    named = statement_id if isinstance(statement_id, str) and statement_id else None

    def fail(message: str) -> BodsImportError:
        return BodsImportError(message, where=at.label, statement_id=named)

    if _holds_nul(raw):
        # No database stores it in text, and no register has a reason to send it.
        raise fail("a text holds a NUL character (\\u0000).")
    publication = raw.get("publicationDetails")
    version = publication.get("bodsVersion") if isinstance(publication, dict) else None
    if version != BODS_VERSION:
        found = "none" if version is None else repr(version)
        raise fail(
            f"not BODS {BODS_VERSION}: publicationDetails.bodsVersion is {found}, "
            f"the import takes {BODS_VERSION!r} only."
        )
    for name in ("statementId", "recordId", "recordType", "declarationSubject"):
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise fail(f"{name} is missing (BODS {BODS_VERSION} requires it).")
    record_id = raw["recordId"]
    if len(record_id) > MAX_RECORD_ID:
        raise fail(f"recordId is longer than {MAX_RECORD_ID} characters.")
    status = raw.get("recordStatus", "new")
    if status not in RECORD_STATUSES:
        raise fail(f"recordStatus {status!r} is not one of {', '.join(RECORD_STATUSES)}.")
    statement_date = _date(raw.get("statementDate"), "statementDate", fail)
    if statement_date is None:
        raise fail(f"statementDate is missing (BODS {BODS_VERSION} requires it).")
    details = raw.get("recordDetails")
    if not isinstance(details, dict):
        raise fail(f"recordDetails is missing (BODS {BODS_VERSION} requires it).")
    if not isinstance(details.get("isComponent"), bool):
        raise fail("recordDetails.isComponent must be true or false.")
    head = _Head(at, raw["statementId"], record_id, status, statement_date)
    record_type = raw["recordType"]
    if record_type == "entity":
        return _parse_entity(head, details)
    if record_type == "person":
        return _parse_person(head, details)
    if record_type == "relationship":
        return _parse_relationship(head, details)
    raise fail(f"recordType {record_type!r} is not entity, person or relationship.")


def _holds_nul(value: Any) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _date(value: Any, name: str, fail: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, str) and DATE_PREFIX.match(value):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise fail(f"{name} {value!r} is not a date (YYYY-MM-DD).")


def _fallback_name(entity_type: str, record_id: str) -> str:
    return f"{EntityType(entity_type).label} {record_id}"[:MAX_NAME]


def _identifiers(details: dict[str, Any], head: _Head) -> list[dict[str, str]]:
    raw = details.get("identifiers", [])
    if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
        raise head.error("recordDetails.identifiers must be a list of objects.")
    return [
        {key: item[key] for key in IDENTIFIER_KEYS if isinstance(item.get(key), str)}
        for item in raw
    ]


def _code(value: Any, head: _Head, name: str) -> str:
    code = value.get("code") if isinstance(value, dict) else None
    if code is None:
        return ""
    if not isinstance(code, str) or len(code.strip()) > MAX_JURISDICTION:
        raise head.error(f"{name}.code must be an ISO 3166 code.")
    return code.strip()


def _parse_entity(head: _Head, details: dict[str, Any]) -> _EntityRecord:
    entity_type = details.get("entityType")
    kind = entity_type.get("type") if isinstance(entity_type, dict) else None
    if not isinstance(kind, str) or kind not in ENTITY_TYPES:
        raise head.error(
            f"recordDetails.entityType.type {kind!r} is not a BODS {BODS_VERSION} entity type."
        )
    name = details.get("name")
    name = name.strip()[:MAX_NAME] if isinstance(name, str) else ""
    return _EntityRecord(
        head=head,
        entity_type=kind,
        name=name or _fallback_name(kind, head.record_id),
        jurisdiction=_code(details.get("jurisdiction"), head, "jurisdiction"),
        identifiers=_identifiers(details, head),
        is_component=details["isComponent"],
    )


def _parse_person(head: _Head, details: dict[str, Any]) -> _EntityRecord:
    kind = details.get("personType")
    if not isinstance(kind, str) or kind not in PERSON_TYPE_VALUES:
        raise head.error(f"recordDetails.personType {kind!r} is not a BODS person type.")
    names = details.get("names") or []
    if not isinstance(names, list):
        raise head.error("recordDetails.names must be a list.")
    name = ""
    for entry in names:
        if isinstance(entry, dict) and isinstance(entry.get("fullName"), str):
            name = entry["fullName"].strip()[:MAX_NAME]
            if name:
                break
    nationalities = details.get("nationalities") or []
    first = nationalities[0] if isinstance(nationalities, list) and nationalities else None
    return _EntityRecord(
        head=head,
        entity_type=kind,
        name=name or _fallback_name(kind, head.record_id),
        # A person has no jurisdiction in BODS; the platform keeps the first nationality.
        jurisdiction=_code(first, head, "nationalities[0]"),
        identifiers=_identifiers(details, head),
        is_component=details["isComponent"],
    )


def _party(value: Any, head: _Head, name: str) -> tuple[str | None, str]:
    """The record id a relationship names, or None and why it names none."""
    if isinstance(value, str) and value:
        return value, ""
    if isinstance(value, dict) and isinstance(value.get("reason"), str):
        description = value.get("description")
        why = f"{name} unspecified: {value['reason']}"
        if isinstance(description, str) and description:
            why += f" ({description})"
        return None, why
    raise head.error(f"recordDetails.{name} must be a recordId or an object with a reason.")


def _parse_relationship(head: _Head, details: dict[str, Any]) -> _RelationshipRecord:
    subject, subject_why = _party(details.get("subject"), head, "subject")
    party, party_why = _party(details.get("interestedParty"), head, "interestedParty")
    raw_interests = details.get("interests", [])
    if not isinstance(raw_interests, list):
        raise head.error("recordDetails.interests must be a list.")
    interests = tuple(
        _parse_interest(raw, head, index, head.status == "closed")
        for index, raw in enumerate(raw_interests)
    )
    components = details.get("componentRecords", [])
    if not isinstance(components, list) or not all(isinstance(c, str) for c in components):
        raise head.error("recordDetails.componentRecords must be a list of record ids.")
    if subject is not None and subject == party:
        raise head.error("the subject and the interested party are the same record.")
    unspecified = subject_why or party_why or ("" if interests else "no interests listed")
    return _RelationshipRecord(
        head=head,
        subject=subject,
        interested_party=party,
        unspecified=unspecified,
        interests=interests,
        component_record_ids=list(components),
        is_component=details["isComponent"],
    )


def _percent(value: Any, head: _Head, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise head.error(f"{name} must be a number.")
    try:
        share = Decimal(str(value)).quantize(ONE_MILLIONTH)
    except InvalidOperation as error:
        raise head.error(f"{name} must be a number.") from error
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(100):
        raise head.error(f"{name} must be between 0 and 100.")
    return share


def _parse_interest(raw: Any, head: _Head, index: int, closing: bool) -> _Interest:
    where = f"interests[{index}]"
    if not isinstance(raw, dict):
        raise head.error(f"{where} must be an object.")
    interest_type = raw.get("type", InterestType.UNKNOWN_INTEREST)
    if interest_type not in InterestType.values:
        raise head.error(f"{where}.type {interest_type!r} is not a BODS interest type.")
    direct_or_indirect = raw.get("directOrIndirect", DirectOrIndirect.UNKNOWN)
    if direct_or_indirect not in DirectOrIndirect.values:
        raise head.error(f"{where}.directOrIndirect {direct_or_indirect!r} is not known.")
    beneficial = raw.get("beneficialOwnershipOrControl", False)
    if not isinstance(beneficial, bool):
        raise head.error(f"{where}.beneficialOwnershipOrControl must be true or false.")
    share = raw.get("share") or {}
    if not isinstance(share, dict):
        raise head.error(f"{where}.share must be an object.")
    exact = _percent(share.get("exact"), head, f"{where}.share.exact")
    low = high = None
    if exact is None:
        # Exclusive bounds are kept as the platform's (inclusive) bounds: the interval
        # widens by an infinitesimal, which no threshold can tell apart.
        low = _percent(share.get("minimum", share.get("exclusiveMinimum")), head, f"{where}.share")
        high = _percent(share.get("maximum", share.get("exclusiveMaximum")), head, f"{where}.share")
        if low is not None and high is not None and low > high:
            raise head.error(f"{where}.share: the minimum is above the maximum.")

    def fail(message: str) -> BodsImportError:
        return head.error(f"{where}: {message}")

    start = _date(raw.get("startDate"), "startDate", fail)
    end = _date(raw.get("endDate"), "endDate", fail)
    if closing and end is None:
        end = head.statement_date
    return _Interest(
        interest_type=interest_type,
        share_exact=exact,
        share_min=low,
        share_max=high,
        direct_or_indirect=direct_or_indirect,
        beneficial_ownership_or_control=beneficial,
        start_date=start,
        end_date=end,
    )


# --- import -----------------------------------------------------------------------------------


ENTITY_FIELDS = ("entity_type", "name", "jurisdiction", "identifiers", "is_component")
STAKE_FIELDS = (
    "interest_type",
    "share_exact",
    "share_min",
    "share_max",
    "direct_or_indirect",
    "beneficial_ownership_or_control",
    "start_date",
    "end_date",
    "component_record_ids",
)


@dataclass(frozen=True)
class DeclarationScope:
    """What one declarer (a vendor uploading its own ownership) may write: relationships
    whose subject is its own entity or an entity it declared, and changes to such
    entities only. Everything else in the graph it may reference, never change."""

    own_entity_id: int
    source: str

    def may_change(self, entity: Entity) -> bool:
        return entity.pk == self.own_entity_id or entity.source == self.source


def bods_import(
    *,
    source: str,
    path: str | Path | None = None,
    stream: BinaryIO | None = None,
    scope: DeclarationScope | None = None,
) -> ImportSummary:
    """Imports one BODS 0.4 file (a path, or a binary stream), in one transaction.
    Raises BodsImportError, naming the statement at fault, and writes nothing, if the
    file is not valid BODS 0.4, names a record neither it nor the database holds, or
    (with a scope) reaches outside what the declarer may write."""
    if (path is None) == (stream is None):
        raise ValueError("Give a path or a stream.")
    if path is not None:
        with open(path, "rb") as fp:
            return _BodsImport(fp, source, scope).run()
    assert stream is not None
    if stream.seekable():
        return _BodsImport(stream, source, scope).run()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        shutil.copyfileobj(stream, spool)
        return _BodsImport(spool, source, scope).run()  # type: ignore[arg-type]


class _BodsImport:
    def __init__(self, fp: BinaryIO, source: str, scope: DeclarationScope | None = None):
        self.scope = scope
        self.fp = fp
        self.summary = ImportSummary(source=source)
        self.source = source[:MAX_SOURCE]
        self.source_note = source[:MAX_SOURCE_NOTE]
        # record id -> (record type, ordinal of its last statement): the only per-record
        # state, so memory follows the number of records.
        self.last: dict[str, tuple[str, int]] = {}

    def run(self) -> ImportSummary:
        with transaction.atomic():
            self._check()
            deferred = self._write(only=None)
            if deferred:
                left = self._write(only=deferred)
                if left:  # _check saw them declared; this would be a bug
                    raise BodsImportError(f"records {sorted(left)[:5]} could not be resolved.")
        return self.summary

    def _records(self) -> Iterator[_EntityRecord | _RelationshipRecord]:
        for at, raw in _statements(self.fp):
            yield _parse(raw, at)

    # pass 1

    def _check(self) -> None:
        _check_nesting(self.fp)
        # referenced record id -> the first statement naming it before it was declared
        forward: dict[str, _Head] = {}
        for record in self._records():
            head = record.head
            self.summary.statements += 1
            seen = self.last.get(head.record_id)
            if seen is not None and seen[0] != record.kind:
                raise head.error(
                    f"record {head.record_id!r} is a {record.kind} here but a {seen[0]} "
                    "earlier in the file; a record keeps its type."
                )
            self.last[head.record_id] = (record.kind, head.at.ordinal)
            if isinstance(record, _RelationshipRecord):
                for ref in record.parties:
                    declared = self.last.get(ref)
                    if declared is None:
                        forward.setdefault(ref, head)
                    elif declared[0] == "relationship":
                        raise head.error(f"it names relationship {ref!r} as a party.")
        self.summary.records = len(self.last)
        missing = []
        for ref, head in forward.items():
            declared = self.last.get(ref)
            if declared is None:
                missing.append(ref)
            elif declared[0] == "relationship":
                raise head.error(f"it names relationship {ref!r} as a party.")
        in_database: set[str] = set()
        for start in range(0, len(missing), 1000):
            in_database.update(
                Entity.objects.filter(record_id__in=missing[start : start + 1000]).values_list(
                    "record_id", flat=True
                )
            )
        unknown = [ref for ref in missing if ref not in in_database]
        if unknown:
            head = min((forward[ref] for ref in unknown), key=lambda h: h.at.ordinal)
            ref = next(r for r in unknown if forward[r] is head)
            raise head.error(
                f"it names record {ref!r}, which is neither declared in this file nor in "
                "the database."
            )

    # passes 2 and 3

    def _write(self, only: set[str] | None) -> set[str]:
        """Writes the last statement of every record (of `only`, if given) and returns the
        relationships that must wait for parties declared further down the file."""
        waiting: set[str] = set()
        for record in self._records():
            head = record.head
            if self.last[head.record_id][1] != head.at.ordinal:
                continue  # a later statement of this record wins
            if only is not None and head.record_id not in only:
                continue
            try:
                if isinstance(record, _EntityRecord):
                    if only is None:
                        self._write_entity(record)
                elif not self._write_relationship(record, may_wait=only is None):
                    waiting.add(head.record_id)
            except BodsImportError:
                raise
            except DomainError as refused:
                raise head.error(refused.message) from refused
        return waiting

    def _write_entity(self, record: _EntityRecord) -> None:
        head = record.head
        if head.status == "closed":
            self.summary.records_closed += 1
        existing = Entity.objects.filter(record_id=head.record_id).first()
        if existing is None:
            entity = entity_create(
                name=record.name,
                entity_type=record.entity_type,
                jurisdiction=record.jurisdiction,
                identifiers=record.identifiers,
                record_id=head.record_id,
                source=self.source,
            )
            if record.is_component:
                # entity_create has no is_component; the flag follows in the same transaction.
                entity_update(entity=entity, is_component=True)
            self.summary.entities_created += 1
            return
        changes = {
            name: getattr(record, name)
            for name in ENTITY_FIELDS
            if getattr(existing, name) != getattr(record, name)
        }
        if not changes:
            self.summary.entities_unchanged += 1
            return
        if self.scope is not None and not self.scope.may_change(existing):
            raise head.error(
                f"{existing.name!r} is not yours to change: only your own entity and entities "
                "you declared can be updated."
            )
        entity_update(entity=existing, source=self.source, **changes)
        self.summary.entities_updated += 1

    def _write_relationship(self, record: _RelationshipRecord, *, may_wait: bool) -> bool:
        head = record.head
        parties = {e.record_id: e for e in Entity.objects.filter(record_id__in=record.parties)}
        if len(parties) < len(record.parties):
            if may_wait:
                return False
            raise head.error("a party of this relationship is missing.")
        if head.status == "closed":
            self.summary.records_closed += 1
        existing = {s.interest_index: s for s in Stake.objects.filter(record_id=head.record_id)}
        interests: tuple[_Interest, ...] = ()
        if record.unspecified:
            self.summary.skipped.append(
                SkippedRecord(head.record_id, head.statement_id, record.unspecified)
            )
        else:
            assert record.subject is not None and record.interested_party is not None
            subject = parties[record.subject]
            party = parties[record.interested_party]
            if self.scope is not None and not self.scope.may_change(subject):
                raise head.error(
                    f"a relationship about {subject.name!r} is not yours to declare: declare "
                    "who holds your own entity, or the entities you declared."
                )
            for held in existing.values():
                if (held.subject_id, held.interested_party_id) != (subject.pk, party.pk):
                    raise head.error(
                        f"relationship {head.record_id!r} already links other parties in the "
                        "database; a relationship record cannot change its subject or "
                        "interested party."
                    )
            interests = record.interests
        for index, interest in enumerate(interests):
            wanted: dict[str, Any] = {
                "interest_type": interest.interest_type,
                "share_exact": interest.share_exact,
                "share_min": interest.share_min,
                "share_max": interest.share_max,
                "direct_or_indirect": interest.direct_or_indirect,
                "beneficial_ownership_or_control": interest.beneficial_ownership_or_control,
                "start_date": interest.start_date,
                "end_date": self._end_after_start(
                    interest.end_date, interest.start_date, head, index
                ),
                "component_record_ids": record.component_record_ids,
            }
            current = existing.pop(index, None)
            if current is None:
                stake_create(
                    interested_party=party,
                    subject=subject,
                    provenance=Provenance.IMPORTED,
                    record_id=head.record_id,
                    interest_index=index,
                    source_note=self.source_note,
                    declared_at=head.statement_date,
                    **wanted,
                )
                self.summary.stakes_created += 1
            else:
                self._update_stake(current, wanted, head)
        for index, dropped in sorted(existing.items()):
            # An interest the record no longer lists has ended.
            if dropped.end_date is None:
                end = self._end_after_start(head.statement_date, dropped.start_date, head, index)
                self._update_stake(dropped, {"end_date": end}, head)
            else:
                self.summary.stakes_unchanged += 1
        return True

    def _update_stake(self, stake: Stake, wanted: dict[str, Any], head: _Head) -> None:
        changes = {name: value for name, value in wanted.items() if getattr(stake, name) != value}
        if not changes:
            self.summary.stakes_unchanged += 1
            return
        stake_update(
            stake=stake,
            provenance=Provenance.IMPORTED,
            source_note=self.source_note,
            declared_at=head.statement_date,
            **changes,
        )
        if set(changes) == {"end_date"} and stake.end_date is None:
            self.summary.stakes_ended += 1
        else:
            self.summary.stakes_updated += 1

    def _end_after_start(
        self, end: date | None, start: date | None, head: _Head, index: int
    ) -> date | None:
        if end is None or start is None or end > start:
            return end
        moved = start + timedelta(days=1)
        self.summary.warnings.append(
            f"{head.at.label}: interest {index} of {head.record_id} ends on {end} but starts "
            f"on {start}; it is ended on {moved} instead."
        )
        return moved


# --- export -----------------------------------------------------------------------------------


def bods_export(*, stream: TextIO | IO[str], publication_date: date | None = None) -> ExportSummary:
    """Writes every entity, person and stake to `stream` as a JSON array of BODS 0.4
    statements, one statement per line, reading the database in chunks."""
    publication = {
        "publicationDate": (publication_date or timezone.localdate()).isoformat(),
        "bodsVersion": BODS_VERSION,
        "publisher": {"name": PUBLISHER_NAME},
    }
    summary = ExportSummary()
    components: set[str] = set()
    for ids in Stake.objects.values_list("component_record_ids", flat=True).iterator(5000):
        components.update(ids or ())
    first = True

    def emit(statement: dict[str, Any]) -> None:
        nonlocal first
        stream.write("[\n" if first else ",\n")
        stream.write(json.dumps(statement, ensure_ascii=False))
        first = False

    entities = Entity.objects.order_by("pk").values_list(
        "record_id",
        "record_type",
        "entity_type",
        "name",
        "jurisdiction",
        "identifiers",
        "is_component",
        "updated_at",
    )
    for row in entities.iterator(chunk_size=2000):
        statement = _entity_statement(*row, publication=publication)
        emit(statement)
        if statement["recordType"] == RecordType.PERSON:
            summary.persons += 1
        else:
            summary.entities += 1
    # Components first: a record must come before the relationship that lists it.
    for components_pass in (True, False):
        for record_id, group in itertools.groupby(_stake_rows(), key=lambda r: r[0]):
            if (record_id in components) != components_pass:
                continue
            rows = list(group)
            emit(_relationship_statement(record_id, rows, components, publication))
            summary.relationships += 1
            summary.interests += len(rows)
    stream.write("[]\n" if first else "\n]\n")
    return summary


def _stake_rows() -> Iterator[tuple[Any, ...]]:
    return (
        Stake.objects.order_by("record_id", "interest_index")
        .values_list(
            "record_id",
            "interest_index",
            "interested_party__record_id",
            "subject__record_id",
            "interest_type",
            "share_exact",
            "share_min",
            "share_max",
            "direct_or_indirect",
            "beneficial_ownership_or_control",
            "component_record_ids",
            "is_component",
            "start_date",
            "end_date",
            "declared_at",
            "updated_at",
        )
        .iterator(chunk_size=2000)
    )


def _finish(
    record_id: str,
    record_type: str,
    declaration_subject: str,
    statement_date: date,
    details: dict[str, Any],
    publication: dict[str, Any],
) -> dict[str, Any]:
    content = {
        "declarationSubject": declaration_subject,
        "statementDate": statement_date.isoformat(),
        "recordId": record_id,
        "recordType": record_type,
        "recordStatus": "new",
        "recordDetails": details,
    }
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    statement_id = uuid.uuid5(STATEMENT_ID_NAMESPACE, f"{record_id}\n{digest}")
    return {"statementId": str(statement_id), "publicationDetails": publication, **content}


def _jurisdiction_name(code: str) -> str:
    place = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if place is None and "-" in code:
        place = pycountry.subdivisions.get(code=code)
    return str(place.name) if place is not None else code


def _entity_statement(
    record_id: str,
    record_type: str,
    entity_type: str,
    name: str,
    jurisdiction: str,
    identifiers: list[dict[str, Any]] | None,
    is_component: bool,
    updated_at: Any,
    *,
    publication: dict[str, Any],
) -> dict[str, Any]:
    details: dict[str, Any] = {"isComponent": is_component}
    code = jurisdiction.strip()
    if record_type == RecordType.PERSON:
        details["personType"] = entity_type
        details["names"] = [{"fullName": name}]
        if len(code) == 2:
            details["nationalities"] = [{"name": _jurisdiction_name(code), "code": code}]
    else:
        details["entityType"] = {"type": entity_type}
        details["name"] = name
        if code:
            place: dict[str, str] = {"name": _jurisdiction_name(code)}
            if 2 <= len(code) <= 6:
                place["code"] = code
            details["jurisdiction"] = place
    kept = [
        {key: str(item[key]) for key in IDENTIFIER_KEYS if item.get(key) not in (None, "")}
        for item in identifiers or []
        if isinstance(item, dict)
    ]
    kept = [item for item in kept if "scheme" in item or "schemeName" in item]
    if kept:
        details["identifiers"] = kept
    return _finish(record_id, record_type, record_id, updated_at.date(), details, publication)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _relationship_statement(
    record_id: str,
    rows: list[tuple[Any, ...]],
    components: set[str],
    publication: dict[str, Any],
) -> dict[str, Any]:
    parties = {(row[2], row[3]) for row in rows}
    if len(parties) > 1:
        raise BodsExportError(
            f"Stakes of relationship {record_id} link different parties; BODS cannot say so."
        )
    party, subject = parties.pop()
    interests = []
    for (
        *_,
        interest_type,
        exact,
        low,
        high,
        direct_or_indirect,
        beneficial,
        _component_ids,
        _is_component,
        start_date,
        end_date,
        _declared_at,
        _updated_at,
    ) in rows:
        interest: dict[str, Any] = {
            "type": interest_type,
            "directOrIndirect": direct_or_indirect,
            "beneficialOwnershipOrControl": beneficial,
        }
        if exact is not None:
            interest["share"] = {"exact": _number(exact)}
        elif low is not None or high is not None:
            interest["share"] = {}
            if low is not None:
                interest["share"]["minimum"] = _number(low)
            if high is not None:
                interest["share"]["maximum"] = _number(high)
        if start_date is not None:
            interest["startDate"] = start_date.isoformat()
        if end_date is not None:
            interest["endDate"] = end_date.isoformat()
        interests.append(interest)
    is_component = any(row[11] for row in rows) or record_id in components
    details: dict[str, Any] = {
        "isComponent": is_component,
        "subject": subject,
        "interestedParty": party,
        "interests": interests,
    }
    component_ids = rows[0][10] or []
    if component_ids and not is_component:  # the schema wants none on a component
        details["componentRecords"] = list(component_ids)
    declared = [row[14] for row in rows if row[14] is not None]
    statement_date = max(declared) if declared else max(row[15] for row in rows).date()
    return _finish(record_id, "relationship", subject, statement_date, details, publication)
