import pytest
from pytest_django.fixtures import Settings

pytest_plugins = ["tests.plugins.services", "tests.plugins.personas"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # Every persona has a password; the production hasher would make it the slowest part.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
