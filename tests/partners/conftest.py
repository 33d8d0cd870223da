"""The API tests' client fixtures, shared with these tests."""

from tests.api.conftest import acme_key, mathly_key, medix_key, rival_key

__all__ = ["acme_key", "mathly_key", "medix_key", "rival_key"]
