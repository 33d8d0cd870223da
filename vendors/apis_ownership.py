"""Vendor API: the vendor's ownership declaration. Stakes in the vendor's entity (or in
an entity the vendor declared), self-declared stakes, ending them, and BODS 0.4 upload.
Only the vendor's owner may change the declaration; vendors.services checks that."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api import VendorAPIView
from marketplace.ownership.models import (
    DirectOrIndirect,
    EntityType,
    InterestType,
    Provenance,
    Stake,
)
from vendors import selectors, services

# --- Serializers --------------------------------------------------------------------------


class StakeEntityOutputSerializer(serializers.Serializer):
    record_id = serializers.CharField()
    name = serializers.CharField()
    entity_type = serializers.CharField()


class StakeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    record_id = serializers.CharField()
    subject = StakeEntityOutputSerializer()
    interested_party = StakeEntityOutputSerializer()
    interest_type = serializers.CharField()
    share_exact = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    share_min = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    share_max = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    direct_or_indirect = serializers.CharField()
    beneficial_ownership_or_control = serializers.BooleanField()
    start_date = serializers.DateField(allow_null=True)
    end_date = serializers.DateField(allow_null=True)
    provenance = serializers.CharField()
    declared_at = serializers.DateField(allow_null=True)


class StakeDeclareInputSerializer(serializers.Serializer):
    """Provenance, declaration date and source are set by the platform, never input."""

    interested_party_record_id = serializers.CharField(max_length=200, required=False)
    interested_party_name = serializers.CharField(max_length=300, required=False)
    interested_party_type = serializers.ChoiceField(
        choices=EntityType.choices, default=EntityType.REGISTERED_ENTITY
    )
    subject_record_id = serializers.CharField(
        max_length=200,
        required=False,
        help_text="Defaults to the vendor's own entity; else an entity the vendor declared.",
    )
    interest_type = serializers.ChoiceField(choices=InterestType.choices)
    share_exact = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    share_min = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    share_max = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    direct_or_indirect = serializers.ChoiceField(
        choices=DirectOrIndirect.choices, default=DirectOrIndirect.DIRECT
    )
    beneficial_ownership_or_control = serializers.BooleanField(default=False)
    start_date = serializers.DateField(required=False)

    def validate(self, attrs: dict) -> dict:
        if ("interested_party_record_id" in attrs) == ("interested_party_name" in attrs):
            raise serializers.ValidationError(
                "Give interested_party_record_id of an existing entity or "
                "interested_party_name of a new one, not both."
            )
        return attrs


class StakeEndInputSerializer(serializers.Serializer):
    end_date = serializers.DateField()


class BodsUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A BODS 0.4 file: a JSON array or JSON Lines.")


class BodsImportOutputSerializer(serializers.Serializer):
    statements = serializers.IntegerField()
    records = serializers.IntegerField()
    entities_created = serializers.IntegerField()
    entities_updated = serializers.IntegerField()
    entities_unchanged = serializers.IntegerField()
    stakes_created = serializers.IntegerField()
    stakes_updated = serializers.IntegerField()
    stakes_ended = serializers.IntegerField()
    stakes_unchanged = serializers.IntegerField()
    records_closed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())


# --- Filters ------------------------------------------------------------------------------


class StakeFilter(django_filters.FilterSet):
    provenance = django_filters.ChoiceFilter(choices=Provenance.choices)
    subject = django_filters.CharFilter(field_name="subject__record_id")
    ended = django_filters.BooleanFilter(field_name="end_date", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Stake
        fields = ["provenance", "subject", "ended"]


# --- Views --------------------------------------------------------------------------------


class VendorStakeListCreateApi(VendorAPIView):
    filterset_class = StakeFilter
    queryset = Stake.objects.none()

    @extend_schema(responses=StakeOutputSerializer(many=True), operation_id="vendor_stakes_list")
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.stake_list_for_vendor(vendor=self.vendor), StakeOutputSerializer
        )

    @extend_schema(
        request=StakeDeclareInputSerializer,
        responses={201: StakeOutputSerializer},
        operation_id="vendor_stakes_create",
    )
    def post(self, request: Request) -> Response:
        serializer = StakeDeclareInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stake = services.vendor_stake_declare(
            vendor=self.vendor, user=self.user, **serializer.validated_data
        )
        stake = selectors.stake_get_for_vendor(vendor=self.vendor, stake_id=stake.pk)
        return Response(StakeOutputSerializer(stake).data, status=status.HTTP_201_CREATED)


class VendorStakeEndApi(VendorAPIView):
    @extend_schema(request=StakeEndInputSerializer, responses=StakeOutputSerializer)
    def post(self, request: Request, stake_id: int) -> Response:
        stake = selectors.stake_get_for_vendor(vendor=self.vendor, stake_id=stake_id)
        serializer = StakeEndInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.vendor_stake_end(
            vendor=self.vendor, user=self.user, stake=stake, **serializer.validated_data
        )
        stake = selectors.stake_get_for_vendor(vendor=self.vendor, stake_id=stake.pk)
        return Response(StakeOutputSerializer(stake).data)


class VendorBodsImportApi(VendorAPIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": BodsUploadInputSerializer},
        responses=BodsImportOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        serializer = BodsUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        summary = services.vendor_bods_import(
            vendor=self.vendor, user=self.user, upload=serializer.validated_data["file"]
        )
        data = {
            name: getattr(summary, name)
            for name in BodsImportOutputSerializer().get_fields()
            if name != "skipped"
        }
        data["skipped"] = len(summary.skipped)
        return Response(BodsImportOutputSerializer(data).data)
