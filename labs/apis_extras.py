"""Lab API beyond the jobs themselves: a draft's seat requirements, the lab's competitors
and its conflict policy. Thin: each view reads through a selector scoped to the caller's
lab and calls one service, which checks the role."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from labs import selectors, services
from labs.apis import CodeField, SeatRequirementSerializer
from labs.models import Competitor, SeatRequirement
from marketplace.core.api import LabAPIView

# --- Serializers --------------------------------------------------------------------------


class SeatRequirementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    count = serializers.IntegerField()
    field = CodeField()
    min_level = CodeField()
    note = serializers.CharField()


class EntityRefOutputSerializer(serializers.Serializer):
    record_id = serializers.CharField()
    name = serializers.CharField()
    entity_type = serializers.CharField()


class CompetitorOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    entity = EntityRefOutputSerializer()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class CompetitorInputSerializer(serializers.Serializer):
    """An existing entity by `record_id`, or a new one by `name`: exactly one."""

    record_id = serializers.CharField(max_length=200, required=False)
    name = serializers.CharField(max_length=300, required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        if ("record_id" in attrs) == ("name" in attrs):
            raise serializers.ValidationError(
                "Give the record_id of an existing entity or the name of a new one, not both."
            )
        return attrs


class ConflictPolicyOutputSerializer(serializers.Serializer):
    block_percent = serializers.DecimalField(max_digits=6, decimal_places=3)
    review_percent = serializers.DecimalField(max_digits=6, decimal_places=3)
    lookback_months = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class ConflictPolicyInputSerializer(serializers.Serializer):
    block_percent = serializers.DecimalField(max_digits=6, decimal_places=3, required=False)
    review_percent = serializers.DecimalField(max_digits=6, decimal_places=3, required=False)
    lookback_months = serializers.IntegerField(min_value=0, max_value=120, required=False)


# --- Seat requirements --------------------------------------------------------------------


class LabJobSeatListCreateApi(LabAPIView):
    queryset = SeatRequirement.objects.none()

    @extend_schema(
        responses=SeatRequirementOutputSerializer(many=True), operation_id="lab_job_seats_list"
    )
    def get(self, request: Request, job_id: int) -> Response:
        seats = selectors.seat_requirement_list_for_job(lab=self.lab, job_id=job_id)
        return self.list_response(seats, SeatRequirementOutputSerializer)

    @extend_schema(
        request=SeatRequirementSerializer,
        responses={201: SeatRequirementOutputSerializer},
        operation_id="lab_job_seats_create",
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        serializer = SeatRequirementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        seat = services.seat_requirement_add(job=job, user=self.user, **serializer.validated_data)
        seat = selectors.seat_requirement_get_for_lab(lab=self.lab, job_id=job.pk, seat_id=seat.pk)
        return Response(SeatRequirementOutputSerializer(seat).data, status=status.HTTP_201_CREATED)


class LabJobSeatDetailApi(LabAPIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, job_id: int, seat_id: int) -> Response:
        seat = selectors.seat_requirement_get_for_lab(lab=self.lab, job_id=job_id, seat_id=seat_id)
        services.seat_requirement_remove(seat_requirement=seat, user=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Competitors --------------------------------------------------------------------------


class LabCompetitorListCreateApi(LabAPIView):
    queryset = Competitor.objects.none()

    @extend_schema(
        responses=CompetitorOutputSerializer(many=True), operation_id="lab_competitors_list"
    )
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.competitor_list_for_lab(lab=self.lab), CompetitorOutputSerializer
        )

    @extend_schema(
        request=CompetitorInputSerializer,
        responses={201: CompetitorOutputSerializer},
        operation_id="lab_competitors_create",
    )
    def post(self, request: Request) -> Response:
        serializer = CompetitorInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        competitor = services.competitor_declare(
            lab=self.lab,
            user=self.user,
            entity_record_id=data.get("record_id"),
            entity_name=data.get("name"),
            note=data["note"],
        )
        competitor = selectors.competitor_get_for_lab(lab=self.lab, competitor_id=competitor.pk)
        return Response(CompetitorOutputSerializer(competitor).data, status=status.HTTP_201_CREATED)


class LabCompetitorDetailApi(LabAPIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, competitor_id: int) -> Response:
        competitor = selectors.competitor_get_for_lab(lab=self.lab, competitor_id=competitor_id)
        services.competitor_remove(competitor=competitor, user=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Conflict policy ----------------------------------------------------------------------


class LabConflictPolicyApi(LabAPIView):
    @extend_schema(responses=ConflictPolicyOutputSerializer, operation_id="lab_conflict_policy")
    def get(self, request: Request) -> Response:
        policy = selectors.conflict_policy_get_for_lab(lab=self.lab)
        return Response(ConflictPolicyOutputSerializer(policy).data)

    @extend_schema(
        request=ConflictPolicyInputSerializer,
        responses=ConflictPolicyOutputSerializer,
        operation_id="lab_conflict_policy_update",
    )
    def patch(self, request: Request) -> Response:
        serializer = ConflictPolicyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = services.conflict_policy_update(
            lab=self.lab, user=self.user, **serializer.validated_data
        )
        return Response(ConflictPolicyOutputSerializer(policy).data)
