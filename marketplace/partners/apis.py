"""API keys over the API: list, create (the raw key is in the response once), revoke."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api import OrganisationAPIView
from marketplace.partners import selectors, services
from marketplace.partners.models import APIKeyScope, OrganisationAPIKey


class APIKeyOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="prefix")
    name = serializers.CharField()
    scope = serializers.CharField()
    organisation = serializers.CharField(source="organisation.slug")
    created = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(source="expiry_date", allow_null=True)
    revoked = serializers.BooleanField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class APIKeyCreatedOutputSerializer(APIKeyOutputSerializer):
    key = serializers.CharField(help_text="The raw key. Shown this once; store it safely.")


class APIKeyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    scope = serializers.ChoiceField(choices=APIKeyScope.choices)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class APIKeyListCreateApi(OrganisationAPIView):
    queryset = OrganisationAPIKey.objects.none()

    @extend_schema(responses=APIKeyOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.list_response(
            selectors.api_key_list_for_org(organisation=self.organisation), APIKeyOutputSerializer
        )

    @extend_schema(
        request=APIKeyCreateInputSerializer, responses={201: APIKeyCreatedOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        serializer = APIKeyCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, raw_key = services.api_key_create(
            organisation=self.organisation,
            created_by=self.user,
            scope=serializer.validated_data["scope"],
            name=serializer.validated_data["name"],
            expires_at=serializer.validated_data.get("expires_at"),
        )
        api_key.key = raw_key  # type: ignore[attr-defined]
        return Response(APIKeyCreatedOutputSerializer(api_key).data, status=status.HTTP_201_CREATED)


class APIKeyRevokeApi(OrganisationAPIView):
    @extend_schema(request=None, responses=APIKeyOutputSerializer)
    def post(self, request: Request, key_id: str) -> Response:
        api_key = selectors.api_key_get_for_org(organisation=self.organisation, prefix=key_id)
        api_key = services.api_key_revoke(api_key=api_key, user=self.user)
        return Response(APIKeyOutputSerializer(api_key).data)
