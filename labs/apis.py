"""Lab API: drafting and reading the lab's own jobs. Moves that involve vendors
(publish, close, award, ...) are in marketplace.exchange.apis."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from labs import selectors, services
from labs.models import Job, JobStatus
from marketplace.core.api import LabAPIView
from marketplace.core.fields import (
    MAX_POSITIVE_INTEGER,
    MAX_POSITIVE_SMALL_INTEGER,
    SlugRelatedField,
)
from marketplace.core.models import AttestationKind, CredentialField, Domain, QualificationLevel


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.RelatedField):
    """A vocabulary entry (domain, attestation kind, ...) shown by its code."""

    slug_field = "code"  # what a row plan (marketplace/core/rows.py) reads for it

    def __init__(self, **kwargs: Any):
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return value.code


class SeatRequirementSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=MAX_POSITIVE_SMALL_INTEGER)
    field = SlugRelatedField(slug_field="code", queryset=CredentialField.objects.all())
    min_level = SlugRelatedField(slug_field="code", queryset=QualificationLevel.objects.all())
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class JobOutputSerializer(serializers.Serializer):
    """A job as its lab sees it."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    domain = CodeField()
    description = serializers.CharField()
    volume = serializers.IntegerField()
    volume_unit = serializers.CharField()
    budget_min = serializers.DecimalField(max_digits=14, decimal_places=2)
    budget_max = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    question_deadline = serializers.DateTimeField()
    bid_deadline = serializers.DateTimeField()
    delivery_date = serializers.DateField()
    sensitivity = serializers.CharField()
    bidding = serializers.CharField()
    visibility = serializers.CharField()
    split_allowed = serializers.BooleanField()
    max_share_per_vendor = serializers.DecimalField(max_digits=5, decimal_places=2)
    required_attestations = CodeField(many=True)
    seat_requirements = SeatRequirementSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    evaluation_started_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class JobTermsInputSerializer(serializers.Serializer):
    """The terms a lab sets. Status, lab and award fields are never input."""

    title = serializers.CharField(max_length=200)
    domain = SlugRelatedField(slug_field="code", queryset=Domain.objects.all())
    description = serializers.CharField()
    volume = serializers.IntegerField(min_value=1, max_value=MAX_POSITIVE_INTEGER)
    volume_unit = serializers.CharField()
    budget_min = serializers.DecimalField(max_digits=14, decimal_places=2)
    budget_max = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField(max_length=3)
    question_deadline = serializers.DateTimeField()
    bid_deadline = serializers.DateTimeField()
    delivery_date = serializers.DateField()
    sensitivity = serializers.CharField(required=False)
    bidding = serializers.CharField(required=False)
    visibility = serializers.CharField(required=False)
    split_allowed = serializers.BooleanField(required=False)
    max_share_per_vendor = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    required_attestations = SlugRelatedField(
        slug_field="code", many=True, queryset=AttestationKind.objects.all(), required=False
    )


class JobCreateInputSerializer(JobTermsInputSerializer):
    seat_requirements = SeatRequirementSerializer(many=True, required=False)


class JobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)
    domain = django_filters.CharFilter(field_name="domain__code")

    class Meta:
        model = Job
        fields = ["status", "domain"]


class LabJobListCreateApi(LabAPIView):
    filterset_class = JobFilter
    queryset = Job.objects.none()

    @extend_schema(responses=JobOutputSerializer(many=True), operation_id="lab_jobs_list")
    def get(self, request: Request) -> Response:
        return self.list_rows_response(
            selectors.job_list_for_lab(lab=self.lab), JobOutputSerializer
        )

    @extend_schema(
        request=JobCreateInputSerializer,
        responses={201: JobOutputSerializer},
        operation_id="lab_jobs_create",
    )
    def post(self, request: Request) -> Response:
        serializer = JobCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        seats = data.pop("seat_requirements", [])
        # One use case, "post a draft with its seats": all or nothing.
        with transaction.atomic():
            job = services.job_create(lab=self.lab, user=self.user, **data)
            for seat in seats:
                services.seat_requirement_add(job=job, user=self.user, **seat)
        job = selectors.job_list_for_lab(lab=self.lab).get(pk=job.pk)
        return Response(JobOutputSerializer(job).data, status=status.HTTP_201_CREATED)


class LabJobDetailApi(LabAPIView):
    @extend_schema(responses=JobOutputSerializer, operation_id="lab_jobs_retrieve")
    def get(self, request: Request, job_id: int) -> Response:
        jobs = selectors.job_list_for_lab(lab=self.lab).filter(pk=job_id)
        return self.row_response(jobs, JobOutputSerializer, missing="No such job.")

    @extend_schema(
        request=JobTermsInputSerializer(partial=True),
        responses=JobOutputSerializer,
        operation_id="lab_jobs_partial_update",
    )
    def patch(self, request: Request, job_id: int) -> Response:
        job = selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        serializer = JobTermsInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.job_update_draft(job=job, user=self.user, **serializer.validated_data)
        job = selectors.job_list_for_lab(lab=self.lab).get(pk=job.pk)
        return Response(JobOutputSerializer(job).data)
