"""The vendor's own pages: profile, compliance attestations, roster (specialists,
credentials, affiliations), bulk roster import with its progress bar, and the ownership
declaration. Thin: reads go through vendors.selectors scoped to `self.vendor`, writes
through vendors.services, which check the roles again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView, View

from marketplace.accounts.models import User
from marketplace.core import uploads
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.web import SubmitOnceMixin, VendorViewMixin, add_domain_error
from marketplace.ownership.bods import ImportSummary
from vendors import selectors, services
from vendors.forms import (
    AffiliationForm,
    AttestationForm,
    BodsImportForm,
    CredentialForm,
    EndDateForm,
    ProfileForm,
    RosterImportForm,
    SpecialistForm,
    StakeForm,
)
from vendors.models import (
    Affiliation,
    Attestation,
    Credential,
    RosterImport,
    RosterImportStatus,
    Specialist,
)
from vendors.permissions import (
    can_manage_profile,
    can_manage_roster,
    credential_is_correctable,
    stake_is_endable_by_vendor,
)

ROSTER_PAGE_SIZE = 20
ATTESTATION_PAGE_SIZE = 50
IMPORT_PAGE_SIZE = 20
STAKE_PAGE_SIZE = 50
# A BODS import may skip many statements; the rest are counted, not listed.
BODS_NOTES_SHOWN = 20
ROSTER_FORMAT_DOC = Path(settings.BASE_DIR) / "docs" / "roster-import.md"
ROSTER_EXAMPLE_FILE = Path(settings.BASE_DIR) / "docs" / "examples" / "roster.csv"


def paginate(request: HttpRequest, rows: Any, per_page: int) -> Page:
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


class VendorPage(VendorViewMixin):
    """A vendor page: sets the highlighted header item; `required` names the permission
    predicate every request to the page needs (pages of actions), if any."""

    request: HttpRequest
    nav = ""
    required: Callable[..., bool] | None = None

    @property
    def user(self) -> User:
        # Signed in: OrganisationViewMixin.dispatch sends anyone else to sign in first.
        return cast(User, self.request.user)

    def setup_organisation(self) -> None:
        super().setup_organisation()
        required = type(self).required
        if required is not None and not required(self.user, self.vendor):
            raise PermissionDenied("Your role does not allow this.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("nav", self.nav)
        return super().get_context_data(**kwargs)


class ActionPage(VendorPage, SubmitOnceMixin, FormView):
    """A form page whose valid post calls one service (`perform`) and redirects."""

    success_message = ""

    def perform(self, form: Any) -> str:
        """Calls the service; returns the URL to go to."""
        raise NotImplementedError

    def act(self, form: BaseForm) -> HttpResponse:
        try:
            url = self.perform(form)
        except DomainError as error:
            self.show_error(form, error)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(url)

    def show_error(self, form: BaseForm, error: DomainError) -> None:
        add_domain_error(form, error)


# --- Profile ------------------------------------------------------------------------------


class ProfileView(ActionPage):
    template_name = "vendors/profile.html"
    form_class = ProfileForm
    nav = "profile"
    success_message = "Profile saved."

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage_profile(self.user, self.vendor):
            raise PermissionDenied("Only the vendor's owner may edit its profile.")
        return super().post(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        return {
            "description": self.vendor.description,
            "website": self.vendor.website,
            "headquarters": self.vendor.headquarters,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today = timezone.localdate()
        attestations = list(selectors.attestation_list(vendor=self.vendor).order_by("expires_on"))
        kwargs["can_manage_profile"] = can_manage_profile(self.user, self.vendor)
        kwargs["attention"] = [
            (a, state)
            for a in attestations
            if (state := selectors.expiry_state(expires_on=a.expires_on, today=today))
        ]
        kwargs["attestation_count"] = len(attestations)
        return super().get_context_data(**kwargs)

    def perform(self, form: ProfileForm) -> str:
        services.vendor_update_profile(vendor=self.vendor, user=self.user, **form.cleaned_data)
        return reverse("vendor:profile")


# --- Attestations -------------------------------------------------------------------------


class AttestationsView(ActionPage):
    """The list of attestations, with the form to add one below it (owner only)."""

    template_name = "vendors/attestations.html"
    form_class = AttestationForm
    nav = "profile"
    success_message = "Attestation added."

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage_profile(self.user, self.vendor):
            raise PermissionDenied("Only the vendor's owner may add attestations.")
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today = timezone.localdate()
        page = paginate(
            self.request,
            selectors.attestation_list(vendor=self.vendor).order_by("kind__name", "-expires_on"),
            ATTESTATION_PAGE_SIZE,
        )
        kwargs["page_obj"] = page
        kwargs["rows"] = [
            {
                "attestation": attestation,
                "expiry": selectors.expiry_state(expires_on=attestation.expires_on, today=today),
                "days_left": (attestation.expires_on - today).days,
            }
            for attestation in page
        ]
        kwargs["can_manage_profile"] = can_manage_profile(self.user, self.vendor)
        kwargs["expiring_soon_days"] = selectors.EXPIRING_SOON_DAYS
        return super().get_context_data(**kwargs)

    def perform(self, form: AttestationForm) -> str:
        data = form.cleaned_data
        services.attestation_add(
            vendor=self.vendor,
            user=self.user,
            kind=data["kind"],
            issued_on=data["issued_on"],
            expires_on=data["expires_on"],
            issuer=data["issuer"],
            document=data["document"] or None,
        )
        return reverse("vendor:attestations")


class AttestationDocumentView(VendorPage, View):
    """The vendor's own attestation document, always as a download, typed by its first
    bytes (marketplace.core.uploads.attachment_response: PDF, PNG or JPEG, anything else
    as opaque bytes)."""

    def get(self, request: HttpRequest, attestation_id: int) -> FileResponse:
        attestation: Attestation = selectors.attestation_get_for_vendor(
            vendor=self.vendor, attestation_id=attestation_id
        )
        if not attestation.document:
            raise Http404("This attestation has no document.")
        try:
            return uploads.attachment_response(
                attestation.document,
                filename=attestation.document_download_stem(),
            )
        except NotFound as error:
            raise Http404(error.message) from None


# --- Roster -------------------------------------------------------------------------------


def credential_rows(credentials: Any, today: Any) -> list[dict[str, Any]]:
    return [
        {
            "credential": credential,
            "expiry": selectors.expiry_state(expires_on=credential.expires_on, today=today),
            "days_left": (credential.expires_on - today).days if credential.expires_on else None,
            "correctable": credential_is_correctable(credential),
        }
        for credential in credentials
    ]


def affiliation_rows(affiliations: Any, today: Any) -> list[dict[str, Any]]:
    return [
        {"affiliation": affiliation, "current": affiliation.is_current_on(today)}
        for affiliation in affiliations
    ]


class RosterView(VendorPage, TemplateView):
    template_name = "vendors/roster.html"
    nav = "roster"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today = timezone.localdate()
        name = self.request.GET.get("q", "").strip()
        page = paginate(
            self.request, selectors.roster_list(vendor=self.vendor, name=name), ROSTER_PAGE_SIZE
        )
        kwargs["page_obj"] = page
        kwargs["q"] = name
        kwargs["rows"] = [
            {
                "specialist": specialist,
                "credentials": credential_rows(specialist.credentials.all(), today),
                "affiliations": affiliation_rows(specialist.affiliations.all(), today),
            }
            for specialist in page
        ]
        kwargs["can_manage_roster"] = can_manage_roster(self.user, self.vendor)
        kwargs["expiring_soon_days"] = selectors.EXPIRING_SOON_DAYS
        return super().get_context_data(**kwargs)


def specialist_url(specialist_id: int) -> str:
    return reverse("vendor:specialist_edit", kwargs={"specialist_id": specialist_id})


class SpecialistCreateView(ActionPage):
    template_name = "vendors/specialist_form.html"
    form_class = SpecialistForm
    nav = "roster"
    required = can_manage_roster

    def perform(self, form: SpecialistForm) -> str:
        specialist = services.specialist_create(
            vendor=self.vendor, user=self.user, **form.cleaned_data
        )
        messages.success(
            self.request, f"{specialist.full_name} is on your roster. Add their credentials."
        )
        return specialist_url(specialist.pk)


class SpecialistEditView(ActionPage):
    """A specialist's page: their details to correct, their credentials and affiliations."""

    template_name = "vendors/specialist_edit.html"
    form_class = SpecialistForm
    nav = "roster"
    required = can_manage_roster
    success_message = "Specialist saved."

    def setup_organisation(self) -> None:
        super().setup_organisation()
        self.specialist: Specialist = selectors.specialist_detail_for_vendor(
            vendor=self.vendor,
            specialist_id=self.kwargs["specialist_id"],
        )

    def get_initial(self) -> dict[str, Any]:
        return {
            "full_name": self.specialist.full_name,
            "email": self.specialist.email,
            "headline": self.specialist.headline,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        today = timezone.localdate()
        kwargs["specialist"] = self.specialist
        kwargs["credentials"] = credential_rows(self.specialist.credentials.all(), today)
        kwargs["affiliations"] = affiliation_rows(self.specialist.affiliations.all(), today)
        return super().get_context_data(**kwargs)

    def perform(self, form: SpecialistForm) -> str:
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.specialist_update(specialist=self.specialist, user=self.user, **changes)
        return specialist_url(self.specialist.pk)


class CredentialCreateView(ActionPage):
    template_name = "vendors/credential_form.html"
    form_class = CredentialForm
    nav = "roster"
    required = can_manage_roster
    success_message = "Credential added. It counts for matching once a platform admin verifies it."

    def setup_organisation(self) -> None:
        super().setup_organisation()
        self.specialist: Specialist = selectors.specialist_get_for_vendor(
            vendor=self.vendor,
            specialist_id=self.kwargs["specialist_id"],
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs["specialist"] = self.specialist
        return super().get_context_data(**kwargs)

    def perform(self, form: CredentialForm) -> str:
        services.credential_add(specialist=self.specialist, user=self.user, **form.cleaned_data)
        return specialist_url(self.specialist.pk)


class CredentialEditView(ActionPage):
    template_name = "vendors/credential_form.html"
    form_class = CredentialForm
    nav = "roster"
    required = can_manage_roster

    def setup_organisation(self) -> None:
        super().setup_organisation()
        self.credential: Credential = selectors.credential_get_for_vendor(
            vendor=self.vendor,
            credential_id=self.kwargs["credential_id"],
        )

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "credential": self.credential}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs["specialist"] = self.credential.specialist
        kwargs["credential"] = self.credential
        return super().get_context_data(**kwargs)

    def perform(self, form: CredentialForm) -> str:
        changes = form.changes()
        if not changes:
            messages.info(self.request, "Nothing changed.")
        else:
            services.credential_update(credential=self.credential, user=self.user, **changes)
            messages.success(
                self.request, "Credential corrected. It is pending verification again."
            )
        return specialist_url(self.credential.specialist_id)


class AffiliationCreateView(ActionPage):
    template_name = "vendors/affiliation_form.html"
    form_class = AffiliationForm
    nav = "roster"
    required = can_manage_roster
    success_message = "Affiliation added."

    def setup_organisation(self) -> None:
        super().setup_organisation()
        self.specialist: Specialist = selectors.specialist_get_for_vendor(
            vendor=self.vendor,
            specialist_id=self.kwargs["specialist_id"],
        )

    def get_form_kwargs(self) -> dict[str, Any]:
        organisations = selectors.affiliation_organisation_choices(vendor=self.vendor)
        return {**super().get_form_kwargs(), "organisations": organisations}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs["specialist"] = self.specialist
        return super().get_context_data(**kwargs)

    def perform(self, form: AffiliationForm) -> str:
        services.affiliation_add(specialist=self.specialist, user=self.user, **form.cleaned_data)
        return specialist_url(self.specialist.pk)


class AffiliationEndView(ActionPage):
    template_name = "vendors/affiliation_end.html"
    form_class = EndDateForm
    nav = "roster"
    required = can_manage_roster
    success_message = "Affiliation ended."

    def setup_organisation(self) -> None:
        super().setup_organisation()
        self.affiliation: Affiliation = selectors.affiliation_get_for_vendor(
            vendor=self.vendor,
            affiliation_id=self.kwargs["affiliation_id"],
        )

    def get_initial(self) -> dict[str, Any]:
        return {"end_date": timezone.localdate()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs["affiliation"] = self.affiliation
        return super().get_context_data(**kwargs)

    def perform(self, form: EndDateForm) -> str:
        services.affiliation_end(
            affiliation=self.affiliation,
            user=self.user,
            end_date=form.cleaned_data["end_date"],
        )
        return specialist_url(self.affiliation.specialist_id)


# --- Roster import ------------------------------------------------------------------------


class RosterImportView(ActionPage):
    """The upload form, and the vendor's past imports below it."""

    template_name = "vendors/roster_import.html"
    form_class = RosterImportForm
    nav = "roster"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage_roster(self.user, self.vendor):
            raise PermissionDenied("Only the vendor's owner or bid managers may change the roster.")
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs["page_obj"] = paginate(
            self.request, selectors.roster_import_list(vendor=self.vendor), IMPORT_PAGE_SIZE
        )
        kwargs["can_manage_roster"] = can_manage_roster(self.user, self.vendor)
        kwargs["columns"] = services.ROSTER_COLUMNS
        kwargs["required_columns"] = services.ROSTER_REQUIRED_CELLS
        return super().get_context_data(**kwargs)

    def perform(self, form: RosterImportForm) -> str:
        roster_import = services.roster_import_start(
            vendor=self.vendor,
            user=self.user,
            uploaded_file=form.cleaned_data["file"],
            valid_rows_only=form.valid_rows_only,
        )
        rows = roster_import.total_rows
        messages.success(
            self.request, f"File received: {rows} row{'s' if rows != 1 else ''} to check."
        )
        return reverse("vendor:roster_import_detail", kwargs={"import_id": roster_import.pk})


class RosterImportDetailView(VendorPage, TemplateView):
    """An import's progress; htmx asks for the progress fragment every second until the
    import has finished (the finished fragment no longer asks)."""

    template_name = "vendors/roster_import_detail.html"
    fragment_template_name = "vendors/_roster_import_progress.html"
    nav = "roster"

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return [self.fragment_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        roster_import: RosterImport = selectors.roster_import_get_for_vendor(
            vendor=self.vendor,
            import_id=self.kwargs["import_id"],
        )
        kwargs["roster_import"] = roster_import
        kwargs["finished"] = roster_import.status in (
            RosterImportStatus.DONE,
            RosterImportStatus.FAILED,
        )
        return super().get_context_data(**kwargs)


class RosterImportExampleView(VendorPage, View):
    def get(self, request: HttpRequest) -> FileResponse:
        response = FileResponse(
            ROSTER_EXAMPLE_FILE.open("rb"),
            as_attachment=True,
            filename="roster-example.csv",
            content_type="text/csv; charset=utf-8",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


class RosterImportFormatView(VendorPage, View):
    """The format description (docs/roster-import.md), as plain text."""

    def get(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(
            ROSTER_FORMAT_DOC.read_text(encoding="utf-8"),
            content_type="text/plain; charset=utf-8",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- Ownership ----------------------------------------------------------------------------


class OwnershipView(VendorPage, TemplateView):
    template_name = "vendors/ownership.html"
    nav = "ownership"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        can_manage = can_manage_profile(self.user, self.vendor)
        page = paginate(
            self.request, selectors.stake_list_for_vendor(vendor=self.vendor), STAKE_PAGE_SIZE
        )
        kwargs["page_obj"] = page
        kwargs["rows"] = [
            {"stake": stake, "endable": can_manage and stake_is_endable_by_vendor(stake)}
            for stake in page
        ]
        kwargs["entity"] = self.vendor.entity
        kwargs["declared"] = selectors.declared_entity_list(vendor=self.vendor).exclude(
            pk=self.vendor.entity_id
        )
        kwargs["can_manage_profile"] = can_manage
        return super().get_context_data(**kwargs)


class StakeCreateView(ActionPage):
    template_name = "vendors/stake_form.html"
    form_class = StakeForm
    nav = "ownership"
    required = can_manage_profile
    success_message = "Stake declared. Screenings that involve you are being re-run."
    # The service names the share and the new party's details by their API names.
    field_aliases = {
        "share": "share_exact",
        "name": "new_party_name",
        "interested_party_name": "new_party_name",
        "interested_party_type": "new_party_type",
    }

    def get_initial(self) -> dict[str, Any]:
        return {"subject": self.vendor.entity_id}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(),
            "subjects": selectors.declared_entity_list(vendor=self.vendor).order_by("name", "pk"),
            "parties": selectors.stake_party_choices(vendor=self.vendor),
        }

    def show_error(self, form: BaseForm, error: DomainError) -> None:
        error.field = self.field_aliases.get(error.field or "", error.field)
        add_domain_error(form, error)

    def perform(self, form: StakeForm) -> str:
        data = form.cleaned_data
        services.vendor_stake_declare(
            vendor=self.vendor,
            user=self.user,
            subject=data["subject"],
            interested_party=data["interested_party"],
            interested_party_name=data["new_party_name"],
            interested_party_type=data["new_party_type"],
            **form.terms(),
        )
        return reverse("vendor:ownership")


class StakeEndView(ActionPage):
    template_name = "vendors/stake_end.html"
    form_class = EndDateForm
    nav = "ownership"
    required = can_manage_profile
    success_message = "Stake ended. Screenings that involve you are being re-run."

    def setup_organisation(self) -> None:
        super().setup_organisation()
        self.stake = selectors.stake_get_for_vendor(
            vendor=self.vendor, stake_id=self.kwargs["stake_id"]
        )

    def get_initial(self) -> dict[str, Any]:
        return {"end_date": timezone.localdate()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs["stake"] = self.stake
        return super().get_context_data(**kwargs)

    def perform(self, form: EndDateForm) -> str:
        services.vendor_stake_end(
            vendor=self.vendor,
            user=self.user,
            stake=self.stake,
            end_date=form.cleaned_data["end_date"],
        )
        return reverse("vendor:ownership")


class BodsImportView(ActionPage):
    template_name = "vendors/bods_import.html"
    form_class = BodsImportForm
    nav = "ownership"
    required = can_manage_profile

    def show_error(self, form: BaseForm, error: DomainError) -> None:
        # Whatever is wrong with the file (the statement at fault, its size) is the file's.
        form.add_error("file", error.message)

    def perform(self, form: BodsImportForm) -> str:
        summary = services.vendor_bods_import(
            vendor=self.vendor, user=self.user, upload=form.cleaned_data["file"]
        )
        self.report(summary)
        return reverse("vendor:ownership")

    def report(self, summary: ImportSummary) -> None:
        messages.success(
            self.request,
            f"BODS file imported: {summary.statements} statements; "
            f"stakes {summary.stakes_created} created, {summary.stakes_updated} updated, "
            f"{summary.stakes_ended} ended, {summary.stakes_unchanged} unchanged; "
            f"entities {summary.entities_created} created, {summary.entities_updated} updated.",
        )
        notes = [
            f"Statement {s.statement_id} (record {s.record_id}) was skipped: {s.reason}"
            for s in summary.skipped
        ] + [f"Warning: {warning}" for warning in summary.warnings]
        for note in notes[:BODS_NOTES_SHOWN]:
            messages.warning(self.request, note)
        if len(notes) > BODS_NOTES_SHOWN:
            messages.warning(self.request, f"… and {len(notes) - BODS_NOTES_SHOWN} more notes.")
