"""API where labs and vendors meet: the job lifecycle moves, bids, awards, contracts,
screenings and notifications. Thin: each view reads through a selector scoped to the
caller's organisation and calls one service."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from labs import selectors as lab_selectors
from labs.apis import JobOutputSerializer
from labs.models import Job, JobStatus
from marketplace.core.api import LabAPIView, OrganisationAPIView, VendorAPIView
from marketplace.core.errors import RuleViolation
from marketplace.core.fields import MAX_OBJECT_ID, MAX_POSITIVE_INTEGER, object_id_field
from marketplace.exchange import selectors
from marketplace.exchange import services as exchange
from marketplace.exchange.models import Bid, BidStatus, Notification, Screening
from marketplace.exchange.services.notifications import notification_mark_read
from vendors.selectors import specialist_list

# --- Output serializers -------------------------------------------------------------------


class SpecialistRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class BidOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job = serializers.IntegerField(source="job_id")
    vendor = serializers.CharField(source="vendor.organisation.slug")
    vendor_name = serializers.CharField(source="vendor.organisation.name")
    status = serializers.CharField()
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    timeline_days = serializers.IntegerField()
    note = serializers.CharField()
    specialists = SpecialistRefSerializer(source="proposed_specialists", many=True)
    revision_number = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class VendorBidOutputSerializer(BidOutputSerializer):
    vendor = None  # type: ignore[assignment]
    vendor_name = None  # type: ignore[assignment]
    lab = serializers.CharField(source="job.lab.organisation.name")
    job_title = serializers.CharField(source="job.title")


class VendorJobOutputSerializer(JobOutputSerializer):
    lab = serializers.CharField(source="lab.organisation.name")
    created_at = None  # type: ignore[assignment]


class ContractOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    bid = serializers.IntegerField(source="bid_id")
    vendor = serializers.CharField(source="vendor.organisation.slug")
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    value = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    status = serializers.CharField()
    delivered_on = serializers.DateField(allow_null=True)
    on_time = serializers.BooleanField(allow_null=True)
    rating = serializers.IntegerField(allow_null=True)
    rating_comment = serializers.CharField()


class AwardOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job = serializers.IntegerField(source="job_id")
    awarded_at = serializers.DateTimeField()
    note = serializers.CharField()
    contracts = ContractOutputSerializer(many=True)


class ScreeningOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    vendor = serializers.CharField(source="vendor.organisation.slug")
    bid = serializers.IntegerField(source="bid_id", allow_null=True)
    verdict = serializers.CharField(allow_null=True)
    computed_verdict = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    as_of = serializers.DateField(allow_null=True)
    requested_at = serializers.DateTimeField()
    computed_at = serializers.DateTimeField(allow_null=True)
    override_reason = serializers.CharField()


class ScreeningDetailOutputSerializer(ScreeningOutputSerializer):
    evidence = serializers.JSONField()
    policy = serializers.JSONField()


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


# --- Input serializers --------------------------------------------------------------------


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class DecisionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AwardShareSerializer(serializers.Serializer):
    bid = object_id_field()
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)


class AwardInputSerializer(serializers.Serializer):
    shares = AwardShareSerializer(many=True, allow_empty=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ContractCompleteInputSerializer(serializers.Serializer):
    delivered_on = serializers.DateField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class BidTermsInputSerializer(serializers.Serializer):
    price = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField(max_length=3)
    timeline_days = serializers.IntegerField(min_value=1, max_value=MAX_POSITIVE_INTEGER)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    specialists = serializers.ListField(child=object_id_field(), required=False)


class BidSubmitInputSerializer(BidTermsInputSerializer):
    job = object_id_field()


class BidReviseInputSerializer(BidTermsInputSerializer):
    price = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    timeline_days = serializers.IntegerField(
        min_value=1, max_value=MAX_POSITIVE_INTEGER, required=False
    )
    note = serializers.CharField(required=False, allow_blank=True)


# --- Filters ------------------------------------------------------------------------------


class BidFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BidStatus.choices)
    job = django_filters.NumberFilter(field_name="job_id", min_value=1, max_value=MAX_OBJECT_ID)

    class Meta:
        model = Bid
        fields = ["status", "job"]


class VendorJobFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=JobStatus.choices)
    domain = django_filters.CharFilter(field_name="domain__code")

    class Meta:
        model = Job
        fields = ["status", "domain"]


class ScreeningFilter(django_filters.FilterSet):
    verdict = django_filters.CharFilter()
    vendor = django_filters.CharFilter(field_name="vendor__organisation__slug")

    class Meta:
        model = Screening
        fields = ["verdict", "vendor"]


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notification
        fields = ["unread"]


# --- Lab side -----------------------------------------------------------------------------


def _job_response(lab_view: LabAPIView, job: Job) -> Response:
    job = lab_selectors.job_list_for_lab(lab=lab_view.lab).get(pk=job.pk)
    return Response(JobOutputSerializer(job).data)


class LabJobPublishApi(LabAPIView):
    @extend_schema(request=None, responses=JobOutputSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        return _job_response(self, exchange.job_publish(job=job, user=self.user))


class LabJobCloseApi(LabAPIView):
    @extend_schema(request=None, responses=JobOutputSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        return _job_response(self, exchange.job_close_bidding(job=job, user=self.user))


class LabJobCancelApi(LabAPIView):
    @extend_schema(request=ReasonInputSerializer, responses=JobOutputSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = exchange.job_cancel(job=job, user=self.user, **serializer.validated_data)
        return _job_response(self, job)


class LabJobMarkUnsuccessfulApi(LabAPIView):
    @extend_schema(request=ReasonInputSerializer, responses=JobOutputSerializer)
    def post(self, request: Request, job_id: int) -> Response:
        job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        serializer = ReasonInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = exchange.job_mark_unsuccessful(job=job, user=self.user, **serializer.validated_data)
        return _job_response(self, job)


class LabJobBidListApi(LabAPIView):
    filterset_class = BidFilter
    queryset = Bid.objects.none()

    @extend_schema(responses=BidOutputSerializer(many=True))
    def get(self, request: Request, job_id: int) -> Response:
        job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        bids = selectors.bid_list_for_lab(lab=self.lab, job=job)
        return self.list_rows_response(bids, BidOutputSerializer)


class LabBidShortlistApi(LabAPIView):
    @extend_schema(request=None, responses=BidOutputSerializer)
    def post(self, request: Request, bid_id: int) -> Response:
        bid = selectors.bid_get_for_lab(lab=self.lab, bid_id=bid_id)
        bid = exchange.bid_shortlist(bid=bid, user=self.user)
        return Response(
            BidOutputSerializer(selectors.bid_get_for_lab(lab=self.lab, bid_id=bid.pk)).data
        )


class LabBidRejectApi(LabAPIView):
    @extend_schema(request=DecisionInputSerializer, responses=BidOutputSerializer)
    def post(self, request: Request, bid_id: int) -> Response:
        bid = selectors.bid_get_for_lab(lab=self.lab, bid_id=bid_id)
        serializer = DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bid = exchange.bid_reject(bid=bid, user=self.user, **serializer.validated_data)
        return Response(
            BidOutputSerializer(selectors.bid_get_for_lab(lab=self.lab, bid_id=bid.pk)).data
        )


class LabJobAwardApi(LabAPIView):
    @extend_schema(request=AwardInputSerializer, responses={201: AwardOutputSerializer})
    def post(self, request: Request, job_id: int) -> Response:
        job = lab_selectors.job_get_for_lab(lab=self.lab, job_id=job_id)
        serializer = AwardInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shares: dict[int, Decimal] = {}
        for share in serializer.validated_data["shares"]:
            if share["bid"] in shares:
                raise RuleViolation("Each bid may appear once.", field="shares")
            shares[share["bid"]] = share["percent"]
        award = exchange.award_make(
            job=job, user=self.user, shares=shares, note=serializer.validated_data["note"]
        )
        data = AwardOutputSerializer(
            {
                "id": award.pk,
                "job_id": award.job_id,
                "awarded_at": award.awarded_at,
                "note": award.note,
                "contracts": award.contracts.select_related("vendor__organisation"),
            }
        ).data
        return Response(data, status=status.HTTP_201_CREATED)


class LabContractCompleteApi(LabAPIView):
    @extend_schema(request=ContractCompleteInputSerializer, responses=ContractOutputSerializer)
    def post(self, request: Request, contract_id: int) -> Response:
        contract = selectors.contract_get_for_lab(lab=self.lab, contract_id=contract_id)
        serializer = ContractCompleteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exchange.contract_complete(contract=contract, user=self.user, **serializer.validated_data)
        contract = selectors.contract_get_for_lab(lab=self.lab, contract_id=contract.pk)
        return Response(ContractOutputSerializer(contract).data)


class LabScreeningListApi(LabAPIView):
    filterset_class = ScreeningFilter
    queryset = Screening.objects.none()

    @extend_schema(responses=ScreeningOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.screening_list_for_lab(lab=self.lab), ScreeningOutputSerializer
        )


class LabScreeningDetailApi(LabAPIView):
    @extend_schema(responses=ScreeningDetailOutputSerializer)
    def get(self, request: Request, screening_id: int) -> Response:
        screening = selectors.screening_get_for_lab(lab=self.lab, screening_id=screening_id)
        return Response(ScreeningDetailOutputSerializer(screening).data)


# --- Vendor side --------------------------------------------------------------------------


class VendorJobListApi(VendorAPIView):
    filterset_class = VendorJobFilter
    queryset = Job.objects.none()

    @extend_schema(responses=VendorJobOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_rows_response(
            selectors.job_list_for_vendor(vendor=self.vendor), VendorJobOutputSerializer
        )


class VendorJobDetailApi(VendorAPIView):
    @extend_schema(responses=VendorJobOutputSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        jobs = selectors.job_list_for_vendor(vendor=self.vendor).filter(pk=job_id)
        return self.row_response(jobs, VendorJobOutputSerializer, missing="No such job.")


def _specialists(view: VendorAPIView, ids: list[int] | None) -> list | None:
    """The vendor's own specialists by id; another vendor's id is as unknown as a missing one."""
    if ids is None:
        return None
    own = specialist_list(vendor=view.vendor).prefetch_related(None).filter(pk__in=ids)
    found = {s.pk: s for s in own}
    missing = [i for i in ids if i not in found]
    if missing:
        raise RuleViolation(
            f"No such specialist: {', '.join(map(str, missing))}.", field="specialists"
        )
    return [found[i] for i in dict.fromkeys(ids)]


class VendorBidListCreateApi(VendorAPIView):
    filterset_class = BidFilter
    queryset = Bid.objects.none()

    @extend_schema(responses=VendorBidOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_rows_response(
            selectors.bid_list_for_vendor(vendor=self.vendor), VendorBidOutputSerializer
        )

    @extend_schema(request=BidSubmitInputSerializer, responses={201: VendorBidOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = BidSubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        job = selectors.job_get_for_vendor(
            vendor=self.vendor, job_id=data.pop("job"), with_terms=False
        )
        specialists = _specialists(self, data.pop("specialists", None)) or []
        bid = exchange.bid_submit(
            job=job, vendor=self.vendor, user=self.user, specialists=specialists, **data
        )
        bids = selectors.bid_list_for_vendor(vendor=self.vendor).filter(pk=bid.pk)
        return self.row_response(
            bids,
            VendorBidOutputSerializer,
            missing="No such bid.",
            status_code=status.HTTP_201_CREATED,
        )


class VendorBidDetailApi(VendorAPIView):
    @extend_schema(responses=VendorBidOutputSerializer)
    def get(self, request: Request, bid_id: int) -> Response:
        bids = selectors.bid_list_for_vendor(vendor=self.vendor).filter(pk=bid_id)
        return self.row_response(bids, VendorBidOutputSerializer, missing="No such bid.")


class VendorBidReviseApi(VendorAPIView):
    @extend_schema(request=BidReviseInputSerializer, responses=VendorBidOutputSerializer)
    def post(self, request: Request, bid_id: int) -> Response:
        bid = selectors.bid_get_for_vendor(vendor=self.vendor, bid_id=bid_id)
        serializer = BidReviseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        specialists = _specialists(self, data.pop("specialists", None))
        exchange.bid_revise(bid=bid, user=self.user, specialists=specialists, **data)
        bid = selectors.bid_get_for_vendor(vendor=self.vendor, bid_id=bid.pk)
        return Response(VendorBidOutputSerializer(bid).data)


class VendorBidWithdrawApi(VendorAPIView):
    @extend_schema(request=None, responses=VendorBidOutputSerializer)
    def post(self, request: Request, bid_id: int) -> Response:
        bid = selectors.bid_get_for_vendor(vendor=self.vendor, bid_id=bid_id)
        exchange.bid_withdraw(bid=bid, user=self.user)
        bid = selectors.bid_get_for_vendor(vendor=self.vendor, bid_id=bid.pk)
        return Response(VendorBidOutputSerializer(bid).data)


# --- Both ---------------------------------------------------------------------------------


class NotificationListApi(OrganisationAPIView):
    filterset_class = NotificationFilter
    queryset = Notification.objects.none()

    @extend_schema(responses=NotificationOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        notifications = selectors.notification_list_for_user(user=self.user).filter(
            organisation=self.organisation
        )
        return self.list_response(notifications, NotificationOutputSerializer)


class NotificationMarkReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(child=object_id_field(), allow_empty=False, max_length=500)


class NotificationMarkReadOutputSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many unread notifications were marked read.")


class NotificationMarkReadApi(OrganisationAPIView):
    """Marks the caller's own notifications of this organisation read; other ids are
    ignored (another person's or organisation's notification is as unknown as a missing
    one)."""

    @extend_schema(
        request=NotificationMarkReadInputSerializer, responses=NotificationMarkReadOutputSerializer
    )
    def post(self, request: Request) -> Response:
        serializer = NotificationMarkReadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = selectors.notification_list_for_user(user=self.user).filter(
            organisation=self.organisation, pk__in=serializer.validated_data["ids"]
        )
        marked = notification_mark_read(
            user=self.user, notification_ids=ids.values_list("pk", flat=True)
        )
        return Response(NotificationMarkReadOutputSerializer({"marked": marked}).data)
