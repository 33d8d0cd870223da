"""Vendor API: the vendor's profile, attestations and roster (specialists, credentials,
affiliations, bulk roster imports). Thin: each view reads through a selector scoped to
the caller's vendor and calls one service; the services check roles."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from labs.apis import CodeField
from marketplace.core import uploads
from marketplace.core.api import VendorAPIView
from marketplace.core.errors import NotFound, RuleViolation
from marketplace.core.fields import SlugRelatedField, object_id_field
from marketplace.core.models import AttestationKind, CredentialField, QualificationLevel
from vendors import selectors, services
from vendors.models import (
    AffiliationRole,
    Attestation,
    AttestationStatus,
    CredentialStatus,
    RosterImport,
    RosterImportStatus,
    Specialist,
)

# --- Output serializers -------------------------------------------------------------------


class VendorProfileOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField(source="organisation.slug")
    name = serializers.CharField(source="organisation.name")
    description = serializers.CharField()
    website = serializers.CharField()
    headquarters = serializers.CharField()


class AttestationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = CodeField()
    issuer = serializers.CharField()
    issued_on = serializers.DateField()
    expires_on = serializers.DateField()
    status = serializers.CharField()
    has_document = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_has_document(self, attestation: Attestation) -> bool:
        return bool(attestation.document)


class CredentialOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    specialist = serializers.IntegerField(source="specialist_id")
    field = CodeField()
    level = CodeField()
    issuer = serializers.CharField()
    identifier = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    rejection_reason = serializers.CharField()
    verified_at = serializers.DateTimeField(allow_null=True)


class AffiliationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    specialist = serializers.IntegerField(source="specialist_id")
    organisation = serializers.IntegerField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")
    role = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)


class SpecialistOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    email = serializers.CharField()
    headline = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    credentials = CredentialOutputSerializer(many=True)


class SpecialistDetailOutputSerializer(SpecialistOutputSerializer):
    affiliations = AffiliationOutputSerializer(many=True)


class RosterImportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    valid_rows_only = serializers.BooleanField()
    total_rows = serializers.IntegerField()
    rows_done = serializers.IntegerField()
    percent_done = serializers.IntegerField()
    rows_created = serializers.IntegerField()
    specialists_created = serializers.IntegerField()
    # DRF's metaclass takes declared fields off the class: this does not hide .errors.
    errors = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class RosterImportAcceptedOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    total_rows = serializers.IntegerField()
    progress = serializers.CharField(help_text="Poll this URL for the import's progress.")


# --- Input serializers --------------------------------------------------------------------


class VendorProfileInputSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True, max_length=200)
    headquarters = serializers.CharField(required=False, allow_blank=True, max_length=120)


class AttestationInputSerializer(serializers.Serializer):
    kind = SlugRelatedField(
        slug_field="code", queryset=AttestationKind.objects.filter(is_active=True)
    )
    issuer = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    issued_on = serializers.DateField()
    expires_on = serializers.DateField()
    document = serializers.FileField(
        required=False,
        help_text="A PDF, PNG or JPEG file of at most 10 MB, checked by its content.",
    )

    def validate_document(self, document: UploadedFile) -> UploadedFile:
        # The same content checks as the service runs (size, PDF/PNG/JPEG by its bytes),
        # here so the error names the field before anything is written.
        try:
            uploads.check_attestation_document(document)
        except RuleViolation as error:
            raise serializers.ValidationError(error.message) from None
        return document


class CredentialInputSerializer(serializers.Serializer):
    field = SlugRelatedField(
        slug_field="code", queryset=CredentialField.objects.filter(is_active=True)
    )
    level = SlugRelatedField(
        slug_field="code", queryset=QualificationLevel.objects.filter(is_active=True)
    )
    issuer = serializers.CharField(max_length=200)
    identifier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    issued_on = serializers.DateField(required=False, allow_null=True, default=None)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)


class CredentialUpdateInputSerializer(CredentialInputSerializer):
    """Every field optional; any change returns the credential to pending verification."""

    issuer = serializers.CharField(max_length=200, required=False)
    identifier = serializers.CharField(max_length=100, required=False, allow_blank=True)
    issued_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)


class SpecialistCreateInputSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    headline = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class AffiliationInputSerializer(serializers.Serializer):
    organisation = object_id_field(help_text="The organisation's entity id in the ownership graph.")
    role = serializers.ChoiceField(choices=AffiliationRole.choices)
    start_date = serializers.DateField(required=False, allow_null=True, default=None)
    end_date = serializers.DateField(required=False, allow_null=True, default=None)


class RosterImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The roster CSV (docs/roster-import.md).")
    valid_rows_only = serializers.BooleanField(required=False, default=False)


# --- Filters ------------------------------------------------------------------------------


class AttestationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AttestationStatus.choices)
    kind = django_filters.CharFilter(field_name="kind__code")

    class Meta:
        model = Attestation
        fields = ["status", "kind"]


class SpecialistFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="full_name", lookup_expr="icontains")
    email = django_filters.CharFilter(lookup_expr="iexact")
    credential_status = django_filters.ChoiceFilter(
        field_name="credentials__status", choices=CredentialStatus.choices, distinct=True
    )

    class Meta:
        model = Specialist
        fields = ["name", "email", "credential_status"]


class RosterImportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RosterImportStatus.choices)

    class Meta:
        model = RosterImport
        fields = ["status"]


# --- Views --------------------------------------------------------------------------------


class VendorProfileApi(VendorAPIView):
    @extend_schema(responses=VendorProfileOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(VendorProfileOutputSerializer(self.vendor).data)

    @extend_schema(
        request=VendorProfileInputSerializer(partial=True), responses=VendorProfileOutputSerializer
    )
    def patch(self, request: Request) -> Response:
        serializer = VendorProfileInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        vendor = services.vendor_update_profile(
            vendor=self.vendor, user=self.user, **serializer.validated_data
        )
        return Response(VendorProfileOutputSerializer(vendor).data)


class VendorAttestationListCreateApi(VendorAPIView):
    filterset_class = AttestationFilter
    queryset = Attestation.objects.none()
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses=AttestationOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.attestation_list(vendor=self.vendor), AttestationOutputSerializer
        )

    @extend_schema(
        request={"multipart/form-data": AttestationInputSerializer},
        responses={201: AttestationOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = AttestationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attestation = services.attestation_add(
            vendor=self.vendor, user=self.user, **serializer.validated_data
        )
        attestation = selectors.attestation_list(vendor=self.vendor).get(pk=attestation.pk)
        return Response(
            AttestationOutputSerializer(attestation).data, status=status.HTTP_201_CREATED
        )


class VendorAttestationDocumentApi(VendorAPIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The file bypasses DRF's renderers, so a client accepting only its type must not
        # be refused (406); errors are rendered as JSON whatever it accepts.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        description="Downloads the attestation's document (`has_document` in the list), "
        "always as an attachment.",
        responses={
            (200, media_type): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The document: a PDF, PNG or JPEG under its own type, any "
                "other file as application/octet-stream; always as an attachment.",
            )
            for media_type in (*uploads.DOWNLOAD_TYPES_OF_DOCUMENTS, uploads.OPAQUE.content_type)
        },
        parameters=[
            OpenApiParameter(
                "Content-Disposition",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                required=True,
                description='attachment; filename="attestation-<id>-<kind>.<suffix>"',
            ),
            OpenApiParameter(
                "X-Content-Type-Options",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                required=True,
                description="nosniff",
            ),
        ],
    )
    def get(self, request: Request, attestation_id: int) -> FileResponse:
        attestation = (
            selectors.attestation_list(vendor=self.vendor).filter(pk=attestation_id).first()
        )
        if attestation is None:
            raise NotFound("No such attestation.")
        if not attestation.document:
            raise NotFound("This attestation has no document.")
        try:
            stored = attestation.document.open("rb")
        except FileNotFoundError:
            raise NotFound("This attestation's document is missing.") from None
        return uploads.attachment_response(stored, filename=attestation.document_download_stem())


class VendorSpecialistListCreateApi(VendorAPIView):
    filterset_class = SpecialistFilter
    queryset = Specialist.objects.none()

    @extend_schema(responses=SpecialistOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.specialist_list(vendor=self.vendor), SpecialistOutputSerializer
        )

    @extend_schema(
        request=SpecialistCreateInputSerializer, responses={201: SpecialistDetailOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        serializer = SpecialistCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        specialist = services.specialist_create(
            vendor=self.vendor, user=self.user, **serializer.validated_data
        )
        return _specialist_response(self, specialist.pk, status.HTTP_201_CREATED)


def _specialist_response(view: VendorAPIView, specialist_id: int, code: int = 200) -> Response:
    specialist = selectors.specialist_detail_for_vendor(
        vendor=view.vendor, specialist_id=specialist_id
    )
    return Response(SpecialistDetailOutputSerializer(specialist).data, status=code)


class VendorSpecialistDetailApi(VendorAPIView):
    @extend_schema(responses=SpecialistDetailOutputSerializer)
    def get(self, request: Request, specialist_id: int) -> Response:
        return _specialist_response(self, specialist_id)


class VendorSpecialistCredentialCreateApi(VendorAPIView):
    @extend_schema(request=CredentialInputSerializer, responses={201: CredentialOutputSerializer})
    def post(self, request: Request, specialist_id: int) -> Response:
        specialist = selectors.specialist_get_for_vendor(
            vendor=self.vendor, specialist_id=specialist_id
        )
        serializer = CredentialInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credential = services.credential_add(
            specialist=specialist, user=self.user, **serializer.validated_data
        )
        credential = selectors.credential_get_for_vendor(
            vendor=self.vendor, credential_id=credential.pk
        )
        return Response(CredentialOutputSerializer(credential).data, status=status.HTTP_201_CREATED)


class VendorCredentialDetailApi(VendorAPIView):
    @extend_schema(
        request=CredentialUpdateInputSerializer(partial=True), responses=CredentialOutputSerializer
    )
    def patch(self, request: Request, credential_id: int) -> Response:
        credential = selectors.credential_get_for_vendor(
            vendor=self.vendor, credential_id=credential_id
        )
        serializer = CredentialUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.credential_update(
            credential=credential, user=self.user, **serializer.validated_data
        )
        credential = selectors.credential_get_for_vendor(
            vendor=self.vendor, credential_id=credential.pk
        )
        return Response(CredentialOutputSerializer(credential).data)


class VendorSpecialistAffiliationCreateApi(VendorAPIView):
    @extend_schema(request=AffiliationInputSerializer, responses={201: AffiliationOutputSerializer})
    def post(self, request: Request, specialist_id: int) -> Response:
        specialist = selectors.specialist_get_for_vendor(
            vendor=self.vendor, specialist_id=specialist_id
        )
        serializer = AffiliationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organisation = selectors.affiliation_organisation_find(
            vendor=self.vendor, entity_id=data.pop("organisation")
        )
        if organisation is None:
            raise RuleViolation("No such organisation.", field="organisation")
        affiliation = services.affiliation_add(
            specialist=specialist, user=self.user, organisation=organisation, **data
        )
        return Response(
            AffiliationOutputSerializer(affiliation).data, status=status.HTTP_201_CREATED
        )


def _progress_url(request: Request, import_id: int) -> str:
    return request.build_absolute_uri(
        reverse("api:v1:vendor-roster-import", kwargs={"import_id": import_id})
    )


class VendorRosterImportListCreateApi(VendorAPIView):
    filterset_class = RosterImportFilter
    queryset = RosterImport.objects.none()
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=RosterImportOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.roster_import_list(vendor=self.vendor), RosterImportOutputSerializer
        )

    @extend_schema(
        request={"multipart/form-data": RosterImportInputSerializer},
        responses={202: RosterImportAcceptedOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = RosterImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        roster_import = services.roster_import_start(
            vendor=self.vendor,
            user=self.user,
            uploaded_file=serializer.validated_data["file"],
            valid_rows_only=serializer.validated_data["valid_rows_only"],
        )
        progress = _progress_url(request, roster_import.pk)
        data: dict[str, Any] = {
            "id": roster_import.pk,
            "status": roster_import.status,
            "total_rows": roster_import.total_rows,
            "progress": progress,
        }
        return Response(
            RosterImportAcceptedOutputSerializer(data).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": progress},
        )


class VendorRosterImportDetailApi(VendorAPIView):
    @extend_schema(responses=RosterImportOutputSerializer)
    def get(self, request: Request, import_id: int) -> Response:
        roster_import = selectors.roster_import_get_for_vendor(
            vendor=self.vendor, import_id=import_id
        )
        return Response(RosterImportOutputSerializer(roster_import).data)
