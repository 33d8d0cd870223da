"""`Authorization: Bearer <key>` for partner systems. The request acts as the key's
service user (`request.user`), and `request.auth` is the key. Keys are looked up
through `recent_keys` (marketplace/partners/recent_keys.py)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from marketplace.partners.models import OrganisationAPIKey
from marketplace.partners.recent_keys import recent_keys
from marketplace.partners.services import api_key_record_use


class BearerAPIKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, OrganisationAPIKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # Not ours: the session may still authenticate the request.
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <key>'.", code="invalid_api_key"
            )
        try:
            raw_key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                "The API key is not valid.", code="invalid_api_key"
            ) from None
        return self.authenticate_key(raw_key)

    def authenticate_key(self, raw_key: str) -> tuple[Any, OrganisationAPIKey]:
        # Unknown and revoked keys are indistinguishable to the caller.
        api_key = recent_keys.get(raw_key.partition(".")[0])
        if api_key is None or not api_key.is_valid(raw_key):
            raise exceptions.AuthenticationFailed(
                "The API key is not valid.", code="invalid_api_key"
            )
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(
                "The API key has expired.", code="expired_api_key"
            )
        if not api_key.actor.is_active or not api_key.organisation.is_active:
            raise exceptions.AuthenticationFailed(
                "The API key is not valid.", code="invalid_api_key"
            )
        api_key_record_use(api_key=api_key)
        recent_keys.note_use(api_key)
        return api_key.actor, api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return f'{self.keyword} realm="api"'


class BearerAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "marketplace.partners.authentication.BearerAPIKeyAuthentication"
    name = "organisationApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "API key",
            "description": "An organisation API key: `Authorization: Bearer <prefix>.<secret>`.",
        }
