"""Exporting the ownership data as BODS 0.4: valid against the schema (checked offline with
libcovebods, which ships the 0.4 schema files), stable statement ids, and a round trip
through import that gives back the same entities and stakes."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from marketplace.ownership.bods import bods_export, bods_import
from marketplace.ownership.models import (
    DirectOrIndirect,
    Entity,
    EntityType,
    InterestType,
    OwnershipChange,
    Provenance,
    Stake,
)
from marketplace.ownership.services import entity_create, stake_create, stake_update

pytestmark = pytest.mark.django_db

BODS_EXAMPLES = Path(__file__).parents[3] / "shared" / "data" / "bods"
needs_examples = pytest.mark.skipif(
    not BODS_EXAMPLES.is_dir(),
    reason=f"the BODS 0.4 example files are read from {BODS_EXAMPLES}, which is absent",
)

# Additional checks of libcovebods that need the org-id.guide list from the internet
# (identifier schemes); everything else runs offline.
ONLINE_CHECKS = ("LegacyChecks", "LegacyChecksNeedingHistory", "HaveKnownScheme")
# The platform keeps no entity subtype (trust, nomination), so these advisory checks fire
# on exports of the levent and nomination examples.
SUBTYPE_CHECKS = {
    "relationship_interests_subject_should_be_entity_trust",
    "relationship_interests_subject_should_be_entity_nomination_arrangement",
}


def schema_errors(path: Path) -> list[dict[str, Any]]:
    """JSON schema validation by libcovebods, against the BODS 0.4 schema it packages."""
    from libcovebods.config import LibCoveBODSConfig
    from libcovebods.data_reader import DataReader
    from libcovebods.jsonschemavalidate import JSONSchemaValidator
    from libcovebods.schema import SchemaBODS

    reader = DataReader(str(path))
    schema = SchemaBODS(reader, LibCoveBODSConfig())
    assert (schema.schema_version, schema.schema_error) == ("0.4", None)
    return [error.json() for error in JSONSchemaValidator(schema).validate(reader)]


def additional_check_findings(path: Path) -> list[dict[str, Any]]:
    """libcovebods' rule checks beyond the schema (parties declared before relationships,
    components listed, statement series, ...), those that run offline."""
    from libcovebods.config import LibCoveBODSConfig
    from libcovebods.data_reader import DataReader
    from libcovebods.run_tasks import TASK_CLASSES, process_additional_checks
    from libcovebods.schema import SchemaBODS

    reader = DataReader(str(path))
    config = LibCoveBODSConfig()
    schema = SchemaBODS(reader, config)
    tasks = [t for t in TASK_CLASSES if not t.__name__.endswith(ONLINE_CHECKS)]
    return process_additional_checks(reader, config, schema, tasks)["additional_checks"]


def export_to(path: Path) -> list[dict[str, Any]]:
    call_command("export_bods", str(path), stdout=io.StringIO())
    return json.loads(path.read_text())


def snapshot() -> dict[str, list[tuple]]:
    """What an entity and a stake say, without database ids, times or provenance."""
    return {
        "entities": sorted(
            Entity.objects.values_list(
                "record_id",
                "record_type",
                "entity_type",
                "name",
                "jurisdiction",
                "identifiers",
                "is_component",
            )
        ),
        "stakes": sorted(
            Stake.objects.values_list(
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
                "start_date",
                "end_date",
            )
        ),
    }


def empty_the_ownership_data() -> None:
    OwnershipChange.objects.all().delete()
    Stake.objects.all().delete()
    Entity.objects.all().delete()


@pytest.fixture
def platform_web() -> dict[str, Any]:
    """Ownership data as the platform makes it (generated record ids): ranges, unknown
    shares, an ended role, an indirect interest with components, a relationship with two
    interests."""
    vendor = entity_create(
        name="Medix Annotations Ltd",
        jurisdiction="GB",
        identifiers=[{"scheme": "GB-COH", "id": "01234567"}],
    )
    fund = entity_create(
        name="Northwind Capital LLC", entity_type=EntityType.LEGAL_ENTITY, jurisdiction="US-DE"
    )
    ada = entity_create(name="Ada Byron", entity_type=EntityType.KNOWN_PERSON, jurisdiction="GB")
    nominee = entity_create(name="Undisclosed holder", entity_type=EntityType.ANONYMOUS_PERSON)
    common: dict[str, Any] = {
        "provenance": Provenance.SELF_DECLARED,
        "start_date": date(2024, 1, 1),
    }
    fund_in_vendor = stake_create(
        interested_party=fund,
        subject=vendor,
        interest_type=InterestType.SHAREHOLDING,
        share_exact=Decimal("25"),
        **common,
    )
    stake_create(
        interested_party=fund,
        subject=vendor,
        interest_type=InterestType.VOTING_RIGHTS,
        share_min=Decimal("10"),
        share_max=Decimal("20.5"),
        record_id=fund_in_vendor.record_id,
        interest_index=1,
        **common,
    )
    ada_in_fund = stake_create(
        interested_party=ada,
        subject=fund,
        interest_type=InterestType.SHAREHOLDING,
        direct_or_indirect=DirectOrIndirect.UNKNOWN,
        beneficial_ownership_or_control=True,
        **common,
    )
    stake_create(
        interested_party=ada,
        subject=vendor,
        interest_type=InterestType.SHAREHOLDING,
        share_exact=Decimal("12.5"),
        direct_or_indirect=DirectOrIndirect.INDIRECT,
        beneficial_ownership_or_control=True,
        component_record_ids=[fund_in_vendor.record_id, ada_in_fund.record_id],
        **common,
    )
    stake_create(
        interested_party=ada,
        subject=vendor,
        interest_type=InterestType.SENIOR_MANAGING_OFFICIAL,
        start_date=date(2023, 3, 1),
        end_date=date(2024, 6, 1),
        provenance=Provenance.VERIFIED,
    )
    stake_create(
        interested_party=nominee,
        subject=vendor,
        interest_type=InterestType.SHAREHOLDING,
        share_min=Decimal("5"),
        provenance=Provenance.IMPORTED,
    )
    return {"vendor": vendor, "fund": fund, "ada": ada, "fund_in_vendor": fund_in_vendor}


def test_the_export_validates_against_the_bods_schema(platform_web, tmp_path):
    statements = export_to(tmp_path / "out.json")

    assert schema_errors(tmp_path / "out.json") == []
    assert additional_check_findings(tmp_path / "out.json") == []
    assert [s["recordType"] for s in statements] == ["entity"] * 2 + ["person"] * 2 + [
        "relationship"
    ] * 5
    assert {s["publicationDetails"]["bodsVersion"] for s in statements} == {"0.4"}
    assert {s["publicationDetails"]["publisher"]["name"] for s in statements} == {
        "Expert Data Exchange"
    }
    assert {s["recordStatus"] for s in statements} == {"new"}


def test_the_validator_does_find_errors(platform_web, tmp_path):
    # Guards the test above: a statement without its details fails the schema.
    statements = export_to(tmp_path / "out.json")
    del statements[0]["recordDetails"]
    (tmp_path / "broken.json").write_text(json.dumps(statements))

    errors = schema_errors(tmp_path / "broken.json")

    assert [e["message"] for e in errors] == ["'recordDetails' is a required property"]


def test_a_relationship_statement_groups_the_interests_of_its_stakes(platform_web, tmp_path):
    statements = export_to(tmp_path / "out.json")

    fund_in_vendor = platform_web["fund_in_vendor"]
    (relationship,) = [s for s in statements if s["recordId"] == fund_in_vendor.record_id]
    assert relationship["declarationSubject"] == platform_web["vendor"].record_id
    assert relationship["recordDetails"] == {
        # Listed among the components of Ada's indirect interest.
        "isComponent": True,
        "subject": platform_web["vendor"].record_id,
        "interestedParty": platform_web["fund"].record_id,
        "interests": [
            {
                "type": "shareholding",
                "directOrIndirect": "direct",
                "beneficialOwnershipOrControl": False,
                "share": {"exact": 25},
                "startDate": "2024-01-01",
            },
            {
                "type": "votingRights",
                "directOrIndirect": "direct",
                "beneficialOwnershipOrControl": False,
                "share": {"minimum": 10, "maximum": 20.5},
                "startDate": "2024-01-01",
            },
        ],
    }
    (fund,) = [s for s in statements if s["recordId"] == platform_web["fund"].record_id]
    assert fund["recordDetails"]["jurisdiction"] == {"name": "Delaware", "code": "US-DE"}
    (ada,) = [s for s in statements if s["recordId"] == platform_web["ada"].record_id]
    assert ada["recordDetails"]["nationalities"] == [{"name": "United Kingdom", "code": "GB"}]


def test_re_exporting_unchanged_data_gives_the_same_statements(platform_web, tmp_path):
    first = export_to(tmp_path / "first.json")
    second = export_to(tmp_path / "second.json")

    assert second == first
    assert len({s["statementId"] for s in first}) == len(first)

    stake_update(stake=platform_web["fund_in_vendor"], share_exact=Decimal("30"))
    third = export_to(tmp_path / "third.json")

    changed = {s["recordId"] for s in third} - {
        s["recordId"] for s in third if s["statementId"] in {f["statementId"] for f in first}
    }
    assert changed == {platform_web["fund_in_vendor"].record_id}


def test_export_then_import_into_an_empty_database_gives_the_same_data(platform_web, tmp_path):
    export_to(tmp_path / "out.json")
    before = snapshot()
    empty_the_ownership_data()

    bods_import(path=tmp_path / "out.json", source="round trip")

    assert snapshot() == before
    assert set(Stake.objects.values_list("provenance", flat=True)) == {Provenance.IMPORTED}


@needs_examples
def test_the_examples_survive_a_round_trip_and_their_export_validates(tmp_path):
    for path in sorted(BODS_EXAMPLES.glob("*.json")):
        bods_import(path=path, source=path.name)
    before = snapshot()

    export_to(tmp_path / "examples.json")

    assert schema_errors(tmp_path / "examples.json") == []
    findings = additional_check_findings(tmp_path / "examples.json")
    assert {f["type"] for f in findings} <= SUBTYPE_CHECKS
    empty_the_ownership_data()
    bods_import(path=tmp_path / "examples.json", source="round trip")
    assert snapshot() == before


def test_the_command_writes_to_standard_output(platform_web):
    out, err = io.StringIO(), io.StringIO()

    call_command("export_bods", "-", stdout=out, stderr=err)

    statements = json.loads(out.getvalue())
    assert len(statements) == 9
    assert "Wrote 9 BODS 0.4 statements to standard output" in err.getvalue()


def test_an_empty_database_exports_an_empty_array(tmp_path):
    buffer = io.StringIO()

    summary = bods_export(stream=buffer)

    assert json.loads(buffer.getvalue()) == []
    assert summary.statements == 0
