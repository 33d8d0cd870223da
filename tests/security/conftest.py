"""Fixtures for the security tests: a clean login throttle, the refusals logged on the
"marketplace.security" logger, and uploads stored in a temporary folder."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache

from marketplace.core import security

Refusals = Callable[[], list[dict[str, Any]]]


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_throttles(db: None) -> None:
    # Failed logins live in the database (rolled back after each test); API throttle
    # buckets live in the cache, which is not.
    AccessAttempt.objects.all().delete()
    cache.clear()


@pytest.fixture
def refusals(caplog: pytest.LogCaptureFixture) -> Refusals:
    """The refusals logged so far, each the `security` dict of its record plus its level."""
    caplog.set_level(logging.INFO, logger=security.logger.name)

    def logged() -> list[dict[str, Any]]:
        return [
            {**record.security, "level": record.levelname}  # type: ignore[attr-defined]
            for record in caplog.records
            if record.name == security.logger.name
        ]

    return logged
