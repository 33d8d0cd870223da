"""The same licence number at two vendors (possibly one person offered twice) is flagged
to platform admins, never silently accepted: neither credential can be verified until an
admin resolves the flag with a note."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from marketplace.core.errors import InvalidTransition, NotPermitted, RuleViolation
from marketplace.core.models import CredentialField, QualificationLevel
from tests.factories import CredentialFieldFactory, QualificationLevelFactory
from tests.plugins.personas import VendorTeam
from tests.vendors.test_roster_import import import_roster, roster_row
from vendors import services
from vendors.models import Credential, CredentialStatus, DuplicateCredentialFlag, Specialist

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def nursing() -> CredentialField:
    return CredentialFieldFactory(code="nursing", name="Nursing")


@pytest.fixture
def rn() -> QualificationLevel:
    return QualificationLevelFactory(code="rn", name="RN", ladder="nursing", rank=2)


@pytest.fixture
def add(nursing: CredentialField, rn: QualificationLevel) -> Any:
    def add_credential(
        specialist: Specialist, identifier: str, level: QualificationLevel | None = None
    ) -> Credential:
        return services.credential_add(
            specialist=specialist,
            user=None,
            field=nursing,
            level=level or rn,
            issuer="Nursing and Midwifery Council",
            identifier=identifier,
        )

    return add_credential


def test_a_licence_number_recorded_at_a_second_vendor_is_flagged(medix, mathly, add):
    first = add(medix.specialists[0], "RN 123-456")

    second = add(mathly.specialists[0], "rn123456")

    [flag] = DuplicateCredentialFlag.objects.all()
    assert (flag.credential, flag.vendor) == (second, mathly.vendor)
    assert (flag.other_credential, flag.other_vendor) == (first, medix.vendor)
    assert (flag.identifier_normalised, flag.level) == ("RN123456", second.level)
    assert flag.is_open
    assert second.status == CredentialStatus.PENDING


def test_a_third_vendor_is_flagged_against_both_earlier_ones(medix, mathly, add):
    from tests.plugins.personas import make_vendor_team

    third = make_vendor_team("Careline")
    add(medix.specialists[0], "RN-1")
    add(mathly.specialists[0], "RN-1")

    add(third.specialists[0], "RN-1")

    flagged = DuplicateCredentialFlag.objects.filter(vendor=third.vendor)
    assert {flag.other_vendor for flag in flagged} == {medix.vendor, mathly.vendor}


@pytest.mark.parametrize(
    "written",
    ["RN-123456", " rn 123 456 ", "RN\u2013123\u2013456", "Rn\u00a0123456", "rn--12-34-56"],
    ids=["dashes", "spaces and case", "en dashes", "no-break space", "many dashes"],
)
def test_spaces_dashes_and_case_do_not_hide_a_duplicate(medix, mathly, add, written):
    add(medix.specialists[0], "RN123456")

    credential = add(mathly.specialists[0], written)

    assert credential.identifier_normalised == "RN123456"
    assert DuplicateCredentialFlag.objects.filter(credential=credential).exists()


def test_what_is_not_a_duplicate_is_not_flagged(medix, mathly, add):
    np = QualificationLevelFactory(code="np", name="NP", ladder="nursing", rank=3)
    add(medix.specialists[0], "RN-1")
    add(medix.specialists[0], "")

    add(mathly.specialists[0], "RN-1", level=np)  # the same number for another level
    add(mathly.specialists[0], "")  # no number at all
    add(medix.specialists[1], "RN-1")  # within one vendor (the roster import refuses that)

    assert not DuplicateCredentialFlag.objects.exists()


def test_a_flagged_credential_cannot_be_verified_until_the_flag_is_resolved(
    medix, mathly, add, admin
):
    earlier = add(medix.specialists[0], "RN-77")
    later = add(mathly.specialists[0], "RN 77")

    with pytest.raises(RuleViolation) as refused:
        services.credential_verify(credential=later, user=admin)
    assert "also recorded at Medix Annotations" in refused.value.message
    assert refused.value.code == "duplicate_credential"
    # Which one is the real person is not known yet: the earlier one waits too.
    with pytest.raises(RuleViolation, match="also recorded at Mathly Experts"):
        services.credential_verify(credential=earlier, user=admin)

    [flag] = DuplicateCredentialFlag.objects.all()
    services.duplicate_flag_resolve(
        flag=flag, user=admin, note="Same nurse, works for both vendors; licence checked."
    )

    assert services.credential_verify(credential=later, user=admin).status == "verified"
    assert services.credential_verify(credential=earlier, user=admin).status == "verified"
    flag.refresh_from_db()
    assert (flag.resolved_by, flag.is_open) == (admin, False)


def test_resolving_needs_an_admin_a_note_and_an_open_flag(medix, mathly, add, admin):
    add(medix.specialists[0], "RN-5")
    add(mathly.specialists[0], "RN-5")
    flag = DuplicateCredentialFlag.objects.get()

    with pytest.raises(NotPermitted):
        services.duplicate_flag_resolve(flag=flag, user=mathly.owner, note="It's fine")
    with pytest.raises(RuleViolation):
        services.duplicate_flag_resolve(flag=flag, user=admin, note="  ")
    services.duplicate_flag_resolve(flag=flag, user=admin, note="Typo at Mathly")
    with pytest.raises(InvalidTransition):
        services.duplicate_flag_resolve(flag=flag, user=admin, note="Again")


def test_changing_the_number_to_another_vendors_raises_a_flag_and_changing_it_back_closes_it(
    medix, mathly, add, admin
):
    add(medix.specialists[0], "RN-900")
    credential = add(mathly.specialists[0], "RN-901")
    assert not DuplicateCredentialFlag.objects.exists()

    services.credential_update(credential=credential, user=mathly.owner, identifier="rn 900")

    flag = DuplicateCredentialFlag.objects.get()
    assert flag.is_open
    with pytest.raises(RuleViolation):
        services.credential_verify(credential=credential, user=admin)

    services.credential_update(credential=credential, user=mathly.owner, identifier="RN-901")

    flag.refresh_from_db()
    assert not flag.is_open
    assert flag.resolved_by == mathly.owner
    assert "no longer a duplicate" in flag.resolution_note.lower()
    assert services.credential_verify(credential=credential, user=admin).status == "verified"


def test_a_correction_that_keeps_the_number_keeps_the_flag(medix, mathly, add):
    add(medix.specialists[0], "RN-42")
    credential = add(mathly.specialists[0], "RN-42")

    services.credential_update(credential=credential, user=None, identifier="RN 42", issuer="NMC")

    assert DuplicateCredentialFlag.objects.filter(resolved_at__isnull=True).count() == 1


def test_the_roster_import_flags_numbers_held_at_another_vendor(
    medix, mathly, django_capture_on_commit_callbacks
):
    CredentialFieldFactory(code="medicine", name="Medicine")
    md = QualificationLevelFactory(code="md", name="MD", ladder="physician", rank=1)
    elsewhere = services.credential_add(
        specialist=medix.specialists[0],
        user=None,
        field=CredentialField.objects.get(code="medicine"),
        level=md,
        issuer="Medical Board of California",
        identifier="A 123456",
    )

    roster_import = import_roster(
        mathly,
        [roster_row(identifier="A-123456"), roster_row(identifier="A-999")],
        django_capture_on_commit_callbacks,
    )

    # The import goes through; the duplicate waits for an admin, not for the vendor.
    assert (roster_import.status, roster_import.rows_created) == ("done", 2)
    [flag] = DuplicateCredentialFlag.objects.all()
    assert (flag.vendor, flag.other_credential) == (mathly.vendor, elsewhere)
    assert flag.credential.identifier == "A-123456"
    assert flag.credential.status == CredentialStatus.PENDING


# --- The admin -------------------------------------------------------------------------------


@pytest.fixture
def flagged(medix: VendorTeam, mathly: VendorTeam, add: Any) -> DuplicateCredentialFlag:
    add(medix.specialists[0], "RN-314")
    add(mathly.specialists[0], "RN-314")
    return DuplicateCredentialFlag.objects.get()


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_admins_see_open_flags_first(admin_client: Client, flagged, medix, mathly, add, admin):
    add(medix.specialists[1], "RN-2718")
    add(mathly.specialists[1], "RN-2718")
    services.duplicate_flag_resolve(flag=flagged, user=admin, note="Checked")
    url = reverse("admin:vendors_duplicatecredentialflag_changelist")

    response = admin_client.get(url)

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert [flag.identifier_normalised for flag in shown] == ["RN2718", "RN314"]
    assert admin_client.get(url, {"state": "open"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"q": "Mathly"}).context["cl"].result_count == 2
    change = admin_client.get(
        reverse("admin:vendors_duplicatecredentialflag_change", args=[flagged.pk])
    )
    assert change.status_code == 200
    assert "Checked" in change.content.decode()


def test_the_resolve_action_asks_for_a_note_then_resolves(admin_client: Client, flagged):
    url = reverse("admin:vendors_duplicatecredentialflag_changelist")
    chosen = {"action": "resolve_selected", "_selected_action": [flagged.pk]}

    asked = admin_client.post(url, chosen)
    assert asked.status_code == 200
    assert "Resolve duplicate credential flags" in asked.content.decode()
    flagged.refresh_from_db()
    assert flagged.is_open

    no_note = admin_client.post(url, {**chosen, "apply": "yes", "reason": ""})
    assert no_note.status_code == 200
    flagged.refresh_from_db()
    assert flagged.is_open

    done = admin_client.post(
        url, {**chosen, "apply": "yes", "reason": "Two nurses, one typo: Mathly corrects it."}
    )
    assert done.status_code == 302
    flagged.refresh_from_db()
    assert not flagged.is_open
    assert flagged.resolution_note == "Two nurses, one typo: Mathly corrects it."
    assert flagged.resolved_by is not None and flagged.resolved_by.is_staff
    assert any("Resolved" in message for message in _messages(done))


def test_the_flag_admin_offers_no_add_edit_or_delete(admin_client: Client, flagged):
    assert admin_client.get(reverse("admin:vendors_duplicatecredentialflag_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:vendors_duplicatecredentialflag_change", args=[flagged.pk]),
        {"resolution_note": "sneaky"},
    )
    assert response.status_code == 403
    flagged.refresh_from_db()
    assert flagged.resolution_note == ""


def test_the_roster_import_admin_shows_progress_and_errors(
    admin_client: Client, medix, django_capture_on_commit_callbacks
):
    CredentialFieldFactory(code="medicine", name="Medicine")
    QualificationLevelFactory(code="md", name="MD", ladder="physician", rank=1)
    roster_import = import_roster(
        medix, [roster_row(), roster_row(level="??")], django_capture_on_commit_callbacks
    )

    listing = admin_client.get(reverse("admin:vendors_rosterimport_changelist"), {"q": "medix"})
    page = admin_client.get(reverse("admin:vendors_rosterimport_change", args=[roster_import.pk]))

    assert listing.context["cl"].result_count == 1
    assert page.status_code == 200
    assert "Unknown level code" in page.content.decode()
    assert "2 of 2 (100%)" in page.content.decode()
