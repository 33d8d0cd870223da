"""Questions and invitations over the API. The asker of a question is never named: the
lab sees questions and answers only, a vendor sees whether it asked (`asked_by_you`)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from labs import selectors as lab_selectors
from labs.models import JobStatus
from marketplace.core.api import LabAPIView, VendorAPIView
from marketplace.core.fields import MAX_OBJECT_ID
from marketplace.exchange import selectors
from marketplace.exchange.models import Invitation, Question
from marketplace.exchange.services.questions import question_answer, question_ask

# --- Serializers --------------------------------------------------------------------------


class QuestionOutputSerializer(serializers.Serializer):
    """A question as the lab sees it: never who asked."""

    id = serializers.IntegerField()
    job = serializers.IntegerField(source="job_id")
    body = serializers.CharField()
    answer = serializers.CharField()
    asked_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)


class VendorQuestionOutputSerializer(QuestionOutputSerializer):
    asked_by_you = serializers.BooleanField()


class QuestionAskInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class QuestionAnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=5000)


class LabInvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vendor = serializers.CharField(source="vendor.organisation.slug")
    vendor_name = serializers.CharField(source="vendor.organisation.name")
    rank = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=7, decimal_places=3)
    reasons = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class VendorInvitationOutputSerializer(serializers.Serializer):
    """An invitation as the invited vendor sees it: the job, not its rank among others."""

    id = serializers.IntegerField()
    job = serializers.IntegerField(source="job_id")
    job_title = serializers.CharField(source="job.title")
    job_status = serializers.CharField(source="job.status")
    lab = serializers.CharField(source="job.lab.organisation.name")
    bid_deadline = serializers.DateTimeField(source="job.bid_deadline")
    created_at = serializers.DateTimeField()


# --- Filters ------------------------------------------------------------------------------


class QuestionFilter(django_filters.FilterSet):
    answered = django_filters.BooleanFilter(
        field_name="answered_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Question
        fields = ["answered"]


class VendorInvitationFilter(django_filters.FilterSet):
    job = django_filters.NumberFilter(field_name="job_id", min_value=1, max_value=MAX_OBJECT_ID)
    job_status = django_filters.ChoiceFilter(field_name="job__status", choices=JobStatus.choices)

    class Meta:
        model = Invitation
        fields = ["job", "job_status"]


# --- Lab side -----------------------------------------------------------------------------


class LabJobQuestionListApi(LabAPIView):
    filterset_class = QuestionFilter
    queryset = Question.objects.none()

    @extend_schema(responses=QuestionOutputSerializer(many=True))
    def get(self, request: Request, job_id: int) -> Response:
        job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        return self.list_response(
            selectors.question_list_for_job(job=job), QuestionOutputSerializer
        )


class LabQuestionAnswerApi(LabAPIView):
    @extend_schema(request=QuestionAnswerInputSerializer, responses=QuestionOutputSerializer)
    def post(self, request: Request, question_id: int) -> Response:
        question = selectors.question_get_for_lab(lab=self.lab, question_id=question_id)
        serializer = QuestionAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = question_answer(question=question, user=self.user, **serializer.validated_data)
        return Response(QuestionOutputSerializer(question).data)


class LabJobInvitationListApi(LabAPIView):
    queryset = Invitation.objects.none()

    @extend_schema(responses=LabInvitationOutputSerializer(many=True))
    def get(self, request: Request, job_id: int) -> Response:
        job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        invitations = selectors.invitation_list_for_lab(lab=self.lab, job=job)
        return self.list_response(invitations, LabInvitationOutputSerializer)


# --- Vendor side --------------------------------------------------------------------------


class VendorJobQuestionListCreateApi(VendorAPIView):
    filterset_class = QuestionFilter
    queryset = Question.objects.none()

    @extend_schema(
        responses=VendorQuestionOutputSerializer(many=True),
        operation_id="vendor_job_questions_list",
    )
    def get(self, request: Request, job_id: int) -> Response:
        questions = selectors.question_list_for_vendor(vendor=self.vendor, job_id=job_id)
        return self.list_response(questions, VendorQuestionOutputSerializer)

    @extend_schema(
        request=QuestionAskInputSerializer,
        responses={201: VendorQuestionOutputSerializer},
        operation_id="vendor_job_questions_create",
    )
    def post(self, request: Request, job_id: int) -> Response:
        job = selectors.job_get_for_vendor(vendor=self.vendor, job_id=job_id)
        serializer = QuestionAskInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = question_ask(
            job=job, vendor=self.vendor, user=self.user, **serializer.validated_data
        )
        question = (
            selectors.question_list_for_vendor(vendor=self.vendor, job_id=job.pk)
            .filter(pk=question.pk)
            .get()
        )
        return Response(
            VendorQuestionOutputSerializer(question).data, status=status.HTTP_201_CREATED
        )


class VendorInvitationListApi(VendorAPIView):
    filterset_class = VendorInvitationFilter
    queryset = Invitation.objects.none()

    @extend_schema(responses=VendorInvitationOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.invitation_list_for_vendor(vendor=self.vendor),
            VendorInvitationOutputSerializer,
        )
