"""Webhooks over the API: the caller's organisation's endpoints (the secret is in the
create response once), re-enabling and pinging them, their delivery log, and redelivery.
Anyone in the organisation may read; only its owner (or a write key, which acts as an
owner) may change anything: `webhook_services.can_manage_webhooks`, checked by the
services."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api import OrganisationAPIView
from marketplace.core.fields import MAX_OBJECT_ID
from marketplace.partners import selectors, webhook_services
from marketplace.partners.events import EVENT_TYPES
from marketplace.partners.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint


class WebhookEndpointOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    event_types = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    consecutive_failures = serializers.IntegerField()
    failing_since = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WebhookEndpointCreatedOutputSerializer(WebhookEndpointOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret. Shown this once; store it safely."
    )


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)), allow_empty=False
    )


class WebhookDeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    endpoint = serializers.IntegerField(source="endpoint_id")
    event_type = serializers.CharField()
    event_id = serializers.UUIDField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_latency_ms = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class WebhookDeliveryFilter(django_filters.FilterSet):
    endpoint = django_filters.NumberFilter(
        field_name="endpoint_id", min_value=1, max_value=MAX_OBJECT_ID
    )
    status = django_filters.ChoiceFilter(choices=WebhookDeliveryStatus.choices)
    event_type = django_filters.CharFilter()

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status", "event_type"]


class WebhookEndpointListCreateApi(OrganisationAPIView):
    queryset = WebhookEndpoint.objects.none()

    @extend_schema(responses=WebhookEndpointOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.webhook_endpoint_list_for_org(organisation=self.organisation),
            WebhookEndpointOutputSerializer,
        )

    @extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = webhook_services.webhook_endpoint_create(
            organisation=self.organisation, created_by=self.user, **serializer.validated_data
        )
        endpoint.secret = secret
        return Response(
            WebhookEndpointCreatedOutputSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )


class WebhookEndpointDetailApi(OrganisationAPIView):
    @extend_schema(responses=WebhookEndpointOutputSerializer)
    def get(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_org(
            organisation=self.organisation, endpoint_id=endpoint_id
        )
        return Response(WebhookEndpointOutputSerializer(endpoint).data)

    @extend_schema(
        request=WebhookEndpointInputSerializer(partial=True),
        responses=WebhookEndpointOutputSerializer,
    )
    def patch(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_org(
            organisation=self.organisation, endpoint_id=endpoint_id
        )
        serializer = WebhookEndpointInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_services.webhook_endpoint_update(
            endpoint=endpoint, user=self.user, **serializer.validated_data
        )
        return Response(WebhookEndpointOutputSerializer(endpoint).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_org(
            organisation=self.organisation, endpoint_id=endpoint_id
        )
        webhook_services.webhook_endpoint_delete(endpoint=endpoint, user=self.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookEndpointEnableApi(OrganisationAPIView):
    @extend_schema(
        request=None,
        responses=WebhookEndpointOutputSerializer,
        description="Re-enables a disabled endpoint and clears its failure count (409 if "
        "it is enabled). Deliveries given up meanwhile stay given up: redeliver them.",
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_org(
            organisation=self.organisation, endpoint_id=endpoint_id
        )
        endpoint = webhook_services.webhook_endpoint_enable(endpoint=endpoint, user=self.user)
        return Response(WebhookEndpointOutputSerializer(endpoint).data)


class WebhookEndpointPingApi(OrganisationAPIView):
    @extend_schema(
        request=None,
        responses={202: WebhookDeliveryOutputSerializer},
        description="Queues a `ping` delivery to this endpoint, subscribed or not, enabled "
        "or not; its outcome appears in the delivery log.",
    )
    def post(self, request: Request, endpoint_id: int) -> Response:
        endpoint = selectors.webhook_endpoint_get_for_org(
            organisation=self.organisation, endpoint_id=endpoint_id
        )
        delivery = webhook_services.webhook_ping(endpoint=endpoint, user=self.user)
        return Response(
            WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )


class WebhookDeliveryListApi(OrganisationAPIView):
    filterset_class = WebhookDeliveryFilter
    queryset = WebhookDelivery.objects.none()

    @extend_schema(responses=WebhookDeliveryOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.webhook_delivery_list_for_org(organisation=self.organisation),
            WebhookDeliveryOutputSerializer,
        )


class WebhookDeliveryRedeliverApi(OrganisationAPIView):
    @extend_schema(request=None, responses=WebhookDeliveryOutputSerializer)
    def post(self, request: Request, delivery_id: int) -> Response:
        delivery = selectors.webhook_delivery_get_for_org(
            organisation=self.organisation, delivery_id=delivery_id
        )
        delivery = webhook_services.webhook_redeliver(delivery=delivery, user=self.user)
        return Response(WebhookDeliveryOutputSerializer(delivery).data)
