"""Importing BODS 0.4 files: the standard's own examples, idempotency, updated and closed
records, invalid input, and the exposures the examples describe."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from marketplace.ownership.bods import BodsImportError, bods_import
from marketplace.ownership.engine import OwnershipGraph, effective_interests
from marketplace.ownership.models import (
    DirectOrIndirect,
    Entity,
    EntityType,
    InterestType,
    OwnershipChange,
    Provenance,
    RecordType,
    Stake,
)
from marketplace.ownership.services import ownership_version_current

pytestmark = pytest.mark.django_db

BODS_EXAMPLES = Path(__file__).parents[3] / "shared" / "data" / "bods"
needs_examples = pytest.mark.skipif(
    not BODS_EXAMPLES.is_dir(),
    reason=f"the BODS 0.4 example files are read from {BODS_EXAMPLES}, which is absent",
)
EXAMPLE_NAMES = sorted(p.name for p in BODS_EXAMPLES.glob("*.json")) or ["(no examples)"]


def example(name: str) -> Path:
    return BODS_EXAMPLES / name


def import_bods(*paths: Path | str) -> str:
    out = io.StringIO()
    call_command("import_bods", *[str(p) for p in paths], stdout=out)
    return out.getvalue()


def ownership_counts() -> dict[str, int]:
    return {
        "entities": Entity.objects.count(),
        "entity history": Entity.history.count(),
        "stakes": Stake.objects.count(),
        "stake history": Stake.history.count(),
        "ownership changes": OwnershipChange.objects.count(),
        "version": ownership_version_current(),
    }


def statement(record_id: str, record_type: str, details: dict[str, Any], **extra: Any) -> dict:
    """A minimal valid BODS 0.4 statement."""
    return {
        "statementId": f"{record_id}-{extra.pop('status', 'new')}-0000000000000000000000000000",
        "declarationSubject": extra.pop("declaration_subject", record_id),
        "statementDate": extra.pop("statement_date", "2024-01-10"),
        "publicationDetails": {
            "publicationDate": "2024-01-10",
            "bodsVersion": extra.pop("bods_version", "0.4"),
            "publisher": {"name": "Test register"},
        },
        "recordId": record_id,
        "recordType": record_type,
        "recordStatus": extra.pop("record_status", "new"),
        "recordDetails": details,
        **extra,
    }


def company(record_id: str, name: str, **extra: Any) -> dict:
    details = {"isComponent": False, "entityType": {"type": "registeredEntity"}, "name": name}
    return statement(record_id, "entity", details, **extra)


def person(record_id: str, name: str, **extra: Any) -> dict:
    details = {"isComponent": False, "personType": "knownPerson", "names": [{"fullName": name}]}
    return statement(record_id, "person", details, **extra)


def relationship(
    record_id: str, subject: str, party: Any, interests: list[dict], **extra: Any
) -> dict:
    details = {
        "isComponent": False,
        "subject": subject,
        "interestedParty": party,
        "interests": interests,
    }
    return statement(record_id, "relationship", details, declaration_subject=subject, **extra)


def shareholding(percent: float, **extra: Any) -> dict:
    return {
        "type": "shareholding",
        "directOrIndirect": "direct",
        "beneficialOwnershipOrControl": False,
        "share": {"exact": percent},
        "startDate": "2020-01-01",
        **extra,
    }


def write_array(path: Path, statements: list[dict]) -> Path:
    path.write_text(json.dumps(statements, indent=2))
    return path


def write_lines(path: Path, statements: list[dict]) -> Path:
    path.write_text("".join(json.dumps(s) + "\n" for s in statements))
    return path


def stakes_of(record_id: str) -> list[Stake]:
    return list(Stake.objects.filter(record_id=record_id).order_by("interest_index"))


def entity(record_id: str) -> Entity:
    return Entity.objects.get(record_id=record_id)


def exposures_in(subject_record_id: str, *, as_of: date | None = None) -> dict[str, Any]:
    """Effective interests in a subject, keyed by the interested party's record id."""
    subject = entity(subject_record_id)
    graph = OwnershipGraph.load(as_of=as_of or date.today(), upstream_of=[subject.pk])
    found = effective_interests(graph, subject.pk)
    return {graph.record_id(party): exposure for party, exposure in found.items()}


def last_statements(path: Path) -> dict[str, dict]:
    """The last statement of every record in an example (they are small)."""
    last: dict[str, dict] = {}
    for item in json.loads(path.read_text()):
        last[item["recordId"]] = item
    return last


# --- every example imports --------------------------------------------------------------------


@needs_examples
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_imports_with_its_records(name):
    import_bods(example(name))

    for record_id, item in last_statements(example(name)).items():
        details = item["recordDetails"]
        if item["recordType"] == "entity":
            imported = entity(record_id)
            assert imported.record_type == RecordType.ENTITY
            assert imported.entity_type == details["entityType"]["type"]
            assert imported.is_component == details["isComponent"]
            if "name" in details:
                assert imported.name == details["name"]
        elif item["recordType"] == "person":
            imported = entity(record_id)
            assert imported.record_type == RecordType.PERSON
            assert imported.entity_type == details["personType"]
        elif isinstance(details["interestedParty"], dict):
            assert stakes_of(record_id) == []
        else:
            stakes = stakes_of(record_id)
            assert [s.interest_index for s in stakes] == list(range(len(details["interests"])))
            for stake, interest in zip(stakes, details["interests"], strict=True):
                assert stake.subject.record_id == details["subject"]
                assert stake.interested_party.record_id == details["interestedParty"]
                assert stake.interest_type == interest.get("type", "unknownInterest")
                assert stake.provenance == Provenance.IMPORTED
                assert stake.component_record_ids == details.get("componentRecords", [])


@needs_examples
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_importing_an_example_twice_changes_nothing(name):
    import_bods(example(name))
    before = ownership_counts()

    output = import_bods(example(name))

    assert ownership_counts() == before
    assert "0 created, 0 updated, 0 ended" in output
    assert "entities and persons: 0 created, 0 updated" in output


@needs_examples
def test_all_examples_import_in_one_command_and_again_without_change():
    paths = [example(name) for name in EXAMPLE_NAMES]
    import_bods(*paths)
    before = ownership_counts()

    import_bods(*paths)

    assert ownership_counts() == before


# --- updated and closed records --------------------------------------------------------------


@needs_examples
def test_closed_relationships_end_their_stakes_on_the_interest_end_date():
    import_bods(example("fermcat.json"))

    # rel-b05e7c91e0a04e4f (Riyadh Byrne-Amin in Fermcat) is closed by statement 13, whose
    # two interests (50% shareholding, board member) give endDate 2021-04-03.
    riyadh = stakes_of("rel-b05e7c91e0a04e4f")
    assert [(s.interest_type, s.share_exact) for s in riyadh] == [
        (InterestType.SHAREHOLDING, Decimal(50)),
        (InterestType.BOARD_MEMBER, None),
    ]
    assert {s.end_date for s in riyadh} == {date(2021, 4, 3)}
    # Declan Byrne-Amin's 50% (rel-b64a491543d986d0) closed on 2022-01-21.
    assert [s.end_date for s in stakes_of("rel-b64a491543d986d0")] == [date(2022, 1, 21)]
    # The closed person records stay: stakes still name them.
    assert entity("per-5faa4103dee78621").name == "Riyadh Byrne-Amin"
    assert entity("per-e334cc6258e56467").name == "Declan Byrne-Amin"


@needs_examples
def test_a_closing_statement_without_end_dates_ends_on_its_statement_date():
    import_bods(example("tecido.json"))

    # 022EBEB66B (Maria Esteves in Tecido) is closed by the statement dated 2023-03-03,
    # whose interests give no endDate; they keep the order of its last update.
    maria = stakes_of("022EBEB66B")
    assert [(s.interest_type, s.share_exact) for s in maria] == [
        (InterestType.BOARD_CHAIR, Decimal(30)),
        (InterestType.SHAREHOLDING, Decimal(30)),
        (InterestType.VOTING_RIGHTS, Decimal(30)),
    ]
    assert {(s.start_date, s.end_date) for s in maria} == {(date(2022, 9, 21), date(2023, 3, 3))}


@needs_examples
def test_the_last_statement_of_a_record_wins():
    import_bods(example("tecido.json"))

    # 02089A4E68 (Shear Trust, 033E84672B, in Tecido): 60% (2021), 70% (2022), then 80%
    # from 2023-03-01 in the file's last statement for it.
    shear = stakes_of("02089A4E68")
    assert [(s.interest_type, s.share_exact, s.start_date, s.end_date) for s in shear] == [
        (InterestType.SHAREHOLDING, Decimal(80), date(2023, 3, 1), None),
        (InterestType.VOTING_RIGHTS, Decimal(80), date(2023, 3, 1), None),
    ]
    assert {s.interested_party.record_id for s in shear} == {"033E84672B"}
    # One history row each: the intermediate statements of the file were never written.
    assert Stake.history.filter(record_id="02089A4E68").count() == 2


def test_an_updated_relationship_updates_changed_stakes_and_ends_dropped_interests(tmp_path):
    import_bods(
        write_array(
            tmp_path / "first.json",
            [
                company("acme", "Acme Ltd"),
                person("ann", "Ann Example"),
                relationship(
                    "ann-in-acme",
                    "acme",
                    "ann",
                    [shareholding(40), {**shareholding(40), "type": "votingRights"}],
                ),
            ],
        )
    )
    voting = stakes_of("ann-in-acme")[1]
    changes = OwnershipChange.objects.count()
    version = ownership_version_current()

    output = import_bods(
        write_array(
            tmp_path / "second.json",
            [
                relationship(
                    "ann-in-acme",
                    "acme",
                    "ann",
                    [shareholding(55)],
                    record_status="updated",
                    statement_date="2024-06-30",
                )
            ],
        )
    )

    held, dropped = stakes_of("ann-in-acme")
    assert (held.share_exact, held.end_date, held.declared_at) == (
        Decimal(55),
        None,
        date(2024, 6, 30),
    )
    assert dropped.pk == voting.pk
    assert (dropped.share_exact, dropped.end_date) == (Decimal(40), date(2024, 6, 30))
    assert "stakes: 0 created, 1 updated, 1 ended, 0 unchanged" in output
    # Each change is recorded for re-screening and moves the version.
    assert OwnershipChange.objects.count() == changes + 2
    assert ownership_version_current() == version + 2
    assert [h.share_exact for h in held.history.order_by("history_id")] == [
        Decimal(40),
        Decimal(55),
    ]


def test_an_updated_entity_changes_its_details_and_a_closed_one_stays(tmp_path):
    import_bods(write_array(tmp_path / "a.json", [company("acme", "Acme Ltd")]))

    renamed = company(
        "acme",
        "Acme Holdings Ltd",
        record_status="updated",
        recordDetails={
            "isComponent": False,
            "entityType": {"type": "legalEntity"},
            "name": "Acme Holdings Ltd",
            "jurisdiction": {"name": "Ireland", "code": "IE"},
            "identifiers": [{"scheme": "IE-CRO", "id": "12345"}],
        },
    )
    closed = {**renamed, "statementId": "acme-closed-000000000000000000000000000000"}
    closed["recordStatus"] = "closed"
    output = import_bods(write_array(tmp_path / "b.json", [renamed, closed]))

    acme = entity("acme")
    assert (acme.name, acme.entity_type, acme.jurisdiction) == (
        "Acme Holdings Ltd",
        EntityType.LEGAL_ENTITY,
        "IE",
    )
    assert acme.identifiers == [{"scheme": "IE-CRO", "id": "12345"}]
    assert "entities and persons: 0 created, 1 updated" in output
    assert "records closed: 1" in output


def test_interests_without_type_direction_or_share_are_unknown(tmp_path):
    import_bods(
        write_array(
            tmp_path / "sparse.json",
            [
                company("acme", "Acme Ltd"),
                person("ann", "Ann Example"),
                relationship("r", "acme", "ann", [{}]),
                relationship(
                    "r2",
                    "acme",
                    "ann",
                    [{"type": "shareholding", "share": {"exclusiveMinimum": 25}}],
                ),
            ],
        )
    )

    (unknown,) = stakes_of("r")
    assert unknown.interest_type == InterestType.UNKNOWN_INTEREST
    assert unknown.direct_or_indirect == DirectOrIndirect.UNKNOWN
    assert (unknown.share_exact, unknown.share_min, unknown.share_max) == (None, None, None)
    (ranged,) = stakes_of("r2")
    assert (ranged.share_min, ranged.share_max) == (Decimal(25), None)


@needs_examples
def test_an_unspecified_interested_party_creates_no_stake_and_is_reported():
    output = import_bods(example("listed-company-exempt-from-disclosure.json"))

    assert not Stake.objects.exists()
    assert entity("4c7ea3bfbe6c").name == "Listed Company OS-17"
    assert (
        "skipped fa402c4818f9 (statement 5b7273f7-6ca1-40f3-9146-646ce0f8b03e): "
        "interestedParty unspecified: subjectExemptFromDisclosure" in output
    )


def test_relationships_may_name_records_declared_further_down_the_file(tmp_path):
    statements = [
        relationship("ann-in-acme", "acme", "ann", [shareholding(40)]),
        person("ann", "Ann Example"),
        company("acme", "Acme Ltd"),
    ]

    import_bods(write_array(tmp_path / "forward.json", statements))

    (stake,) = stakes_of("ann-in-acme")
    assert (stake.interested_party.name, stake.subject.name) == ("Ann Example", "Acme Ltd")


def test_relationships_may_name_records_already_in_the_database(tmp_path):
    import_bods(write_array(tmp_path / "parties.json", [company("acme", "Acme Ltd")]))
    import_bods(write_array(tmp_path / "ann.json", [person("ann", "Ann Example")]))

    import_bods(
        write_array(
            tmp_path / "stake.json",
            [relationship("ann-in-acme", "acme", "ann", [shareholding(40)])],
        )
    )

    assert [s.share_exact for s in stakes_of("ann-in-acme")] == [Decimal(40)]


# --- JSON Lines and streams -------------------------------------------------------------------


@needs_examples
def test_json_lines_import_like_the_array(tmp_path):
    statements = json.loads(example("joint-ownership.json").read_text())
    lines = write_lines(tmp_path / "joint.jsonl", statements)

    import_bods(lines)

    assert Entity.objects.count() == 4
    assert Stake.objects.count() == 3
    before = ownership_counts()
    import_bods(example("joint-ownership.json"))
    assert ownership_counts() == before


def test_a_stream_that_cannot_seek_is_imported(tmp_path):
    data = json.dumps([company("acme", "Acme Ltd"), person("ann", "Ann Example")]).encode()

    class OneWay(io.RawIOBase):
        def __init__(self) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    summary = bods_import(stream=io.BufferedReader(OneWay()), source="upload")

    assert summary.entities_created == 2
    assert entity("acme").source == "upload"


# --- invalid input writes nothing -------------------------------------------------------------


def valid_pair() -> list[dict]:
    return [company("acme", "Acme Ltd"), person("ann", "Ann Example")]


def refused(path: Path) -> str:
    before = ownership_counts()
    with pytest.raises(CommandError) as error:
        import_bods(path)
    assert ownership_counts() == before
    message = str(error.value)
    assert message.startswith(str(path))
    assert "Nothing from this file was imported." in message
    return message


def test_a_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text("statementId,recordId\n1,2\n")

    assert "The file is not JSON" in refused(path)


def test_an_array_broken_half_way_is_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(valid_pair())[:-40])

    message = refused(path)

    assert "statement 2: the file is not valid JSON" in message


def test_json_lines_with_a_broken_line_are_refused_and_nothing_is_written(tmp_path):
    path = write_lines(tmp_path / "broken.jsonl", valid_pair())
    path.write_text(path.read_text() + '{"statementId": "x", "recordId": \n')

    message = refused(path)

    assert "line 3: not a JSON object on one line" in message


def test_bods_0_3_is_refused_naming_the_statement(tmp_path):
    old = person("ann", "Ann Example", bods_version="0.3")
    path = write_array(tmp_path / "old.json", [company("acme", "Acme Ltd"), old])

    message = refused(path)

    assert f"statement 2 (statementId {old['statementId']!r})" in message
    assert "publicationDetails.bodsVersion is '0.3'" in message


def test_a_statement_missing_a_required_field_is_refused(tmp_path):
    incomplete = company("acme", "Acme Ltd")
    del incomplete["recordDetails"]
    path = write_lines(tmp_path / "incomplete.jsonl", [person("ann", "Ann"), incomplete])

    message = refused(path)

    assert f"line 2 (statementId {incomplete['statementId']!r})" in message
    assert "recordDetails is missing" in message


def test_a_relationship_naming_a_missing_record_is_refused(tmp_path):
    dangling = relationship("ann-in-acme", "acme", "bob", [shareholding(40)])
    path = write_array(tmp_path / "dangling.json", [*valid_pair(), dangling])

    message = refused(path)

    assert f"statement 3 (statementId {dangling['statementId']!r})" in message
    assert "'bob', which is neither declared in this file nor in the database" in message


def test_the_first_invalid_file_stops_the_command_and_earlier_files_stay(tmp_path):
    first = write_array(tmp_path / "1.json", [company("acme", "Acme Ltd")])
    broken = tmp_path / "2.json"
    broken.write_text("[")
    third = write_array(tmp_path / "3.json", [person("ann", "Ann Example")])

    with pytest.raises(CommandError, match=r"2\.json: statement 1"):
        import_bods(first, broken, third)

    assert list(Entity.objects.values_list("record_id", flat=True)) == ["acme"]


def test_the_service_raises_a_domain_error_naming_the_statement(tmp_path):
    path = write_array(tmp_path / "x.json", [company("acme", "Acme Ltd", record_status="gone")])

    with pytest.raises(BodsImportError) as error:
        bods_import(path=path, source="test")

    assert error.value.where == "statement 1"
    assert error.value.code == "bods_invalid"


# --- the exposures the examples describe ------------------------------------------------------


def economic(exposure: Any) -> tuple[Any, Any]:
    return (pytest.approx(exposure.economic[0]), pytest.approx(exposure.economic[1]))


@needs_examples
@pytest.mark.parametrize(
    ("name", "subject", "expected"),
    [
        # Person 1 declares an indirect 30% of Company A (d8d75ccf40e4). Its components
        # (Company B holds 60% of A; Person 1 holds an unknown interest in B) would give
        # [0, 60%], but the declared indirect figure is authoritative for the pair: 30%.
        # Company B's own 60% is direct.
        (
            "indirect-ownership.json",
            "ad3f6c2fcc9e",
            {"c25d4d612c2c": (0.30, 0.30), "d4ab89ea169a": (0.60, 0.60)},
        ),
        # The arrangement 91b4236a7d89 holds 100% of CHRINON LTD; Natalie Coleman and
        # Roberto Lopez hold 50% each of the arrangement: 100% x 50% = 50% each.
        (
            "joint-ownership.json",
            "31c55e425764",
            {"91b4236a7d89": (1.0, 1.0), "1accb8b18b99": (0.5, 0.5), "f040df24d9ec": (0.5, 0.5)},
        ),
        # Person 1 holds 50% of Company A directly (since 2019-05-01) and a declared 50%
        # indirectly (through Company B, which holds 50% of A): 50 + 50 = 100%. The path
        # through B is summarised by the declared indirect interest and not added again.
        (
            "mixed-direct-and-indirect-ownership.json",
            "9bfe59b6a869",
            {"53508b65253f": (1.0, 1.0), "ec61aeda7141": (0.5, 0.5)},
        ),
        # Person 1 declares an indirect 60% of Company B; the components (C and D hold 50%
        # each, Person 1 holds unknown interests in both) would give [0, 100%].
        (
            "multiple-indirect-ownership.json",
            "63e3a8a8946f",
            {"92ebf964a1f6": (0.6, 0.6), "d177864a8b39": (0.5, 0.5), "05fbbfb94b79": (0.5, 0.5)},
        ),
        # Person 1 declares an indirect 60% of Company A; the components (B holds 40%, C
        # 20%, Person 1 unknown interests in both) would give [0, 60%].
        (
            "mutilple-indirect-ownership-2.json",
            "1e049760d6c7",
            {"731c7a8e7601": (0.6, 0.6), "41454e3ba398": (0.4, 0.4), "6c9fd5c92201": (0.2, 0.2)},
        ),
        # MVJ LIMITED holds a minimum of 75% and less than 100% of JENEX LIMITED:
        # the exclusive maximum is kept as the bound, [75%, 100%].
        ("bods-package-entity-owning-entity.json", "12b7dd0770ce", {"e83cce729ada": (0.75, 1.0)}),
        # Shear Trust's last statement gives 80% from 2023-03-01; Maria Esteves' stakes
        # were closed on 2023-03-03, so today she holds nothing.
        ("tecido.json", "01B68D7633", {"033E84672B": (0.8, 0.8)}),
        # Patrick O'Donohue holds 100% since the last update (2022-01-21); Riyadh's and
        # Declan's relationships are closed.
        ("fermcat.json", "ent-93c75c87ab28f889", {"per-41c0bb0cef246f7c": (1.0, 1.0)}),
    ],
)
def test_the_effective_interests_the_examples_describe(name, subject, expected):
    import_bods(example(name))

    found = exposures_in(subject)

    assert {party: economic(exposure) for party, exposure in found.items()} == expected
