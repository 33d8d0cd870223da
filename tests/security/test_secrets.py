"""Secrets come only from the environment: production refuses to start without its own
secret key (or with the public development one), the deployment checklist stays clean
with the security settings, and nothing that looks like a committed secret is in the
repository's files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from marketplace.settings import DEVELOPMENT_SECRET_KEY
from tests.core.test_settings import DEPLOY_CHECK, REPO_ROOT, production, run


@pytest.mark.parametrize("value", [None, "", DEVELOPMENT_SECRET_KEY], ids=["unset", "empty", "dev"])
def test_production_refuses_to_start_without_its_own_secret_key(value: str | None) -> None:
    variables = production()
    if value is None:
        del variables["DJANGO_SECRET_KEY"]
    else:
        variables["DJANGO_SECRET_KEY"] = value

    result = run(DEPLOY_CHECK, **variables)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


SHOW_THROTTLE = """
import django
django.setup()
from django.conf import settings as s
print(s.AUTHENTICATION_BACKENDS[0], "axes" in s.INSTALLED_APPS, s.MIDDLEWARE[-1])
"""


def test_the_deployment_checklist_is_clean_with_the_login_throttle_on() -> None:
    check = run(DEPLOY_CHECK, **production())
    throttle = run(
        ["-c", SHOW_THROTTLE], DJANGO_SETTINGS_MODULE="marketplace.settings", **production()
    )

    assert check.returncode == 0, check.stdout + check.stderr
    assert throttle.stdout.split() == [
        "axes.backends.AxesStandaloneBackend",
        "True",
        "axes.middleware.AxesMiddleware",
    ]


# --- the repository ---------------------------------------------------------------------------

# What a committed secret looks like. Each pattern is specific enough that a match is worth
# a person's look; a test fixture that needs such a string builds it at run time.
SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(
        r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}", re.IGNORECASE
    ),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Stripe live key": re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    # SECRET_KEY = "...", "SECRET_KEY": "...", or env.str("..._SECRET_KEY", default="...")
    "hard-coded SECRET_KEY": re.compile(
        r"""SECRET_KEY['"]?\s*(?:[=:]|,\s*default\s*=)\s*['"]([^'"\s{}]{8,})['"]"""
    ),
    "secret key in an env file": re.compile(r"^\s*(?:export\s+)?DJANGO_SECRET_KEY=(\S{8,})$", re.M),
}
ALLOWED_SECRET_KEYS = {DEVELOPMENT_SECRET_KEY}
LARGEST_SCANNED = 2 * 1024 * 1024


def repository_text_files() -> list[Path]:
    """Tracked files and new ones not ignored: what a commit would hold."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    files = []
    for name in filter(None, listed):
        path = REPO_ROOT / name.decode()
        if not path.is_file() or path.stat().st_size > LARGEST_SCANNED:
            continue
        with path.open("rb") as fp:
            if b"\0" in fp.read(8192):  # binary
                continue
        files.append(path)
    return files


def secrets_in(text: str) -> list[str]:
    found = []
    for name, pattern in SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            value = match.group(match.lastindex or 0)
            if value in ALLOWED_SECRET_KEYS or value.startswith("$"):
                continue
            found.append(f"{name}: {match.group(0)[:60]}")
    return found


def test_the_scan_would_see_a_secret() -> None:
    key_header = "-----BEGIN RSA " + "PRIVATE KEY-----"
    aws_key = "AKIA" + "Z7Q4" * 4
    hard_coded = 'SECRET_KEY = "' + "k3y" * 10 + '"'
    as_default = 'env.str("DJANGO_SECRET_KEY", default="' + "k3y" * 10 + '")'

    found = secrets_in(f"{key_header}\n{aws_key}\n{hard_coded}\n{as_default}\n")

    assert [entry.split(":")[0] for entry in found] == [
        "private key",
        "AWS access key id",
        "hard-coded SECRET_KEY",
        "hard-coded SECRET_KEY",
    ]
    assert secrets_in(f'SECRET_KEY = "{DEVELOPMENT_SECRET_KEY}"') == []


def test_no_secret_is_committed() -> None:
    files = repository_text_files()
    assert any(path.name == "settings.py" for path in files)  # the scan sees the code

    found = {
        str(path.relative_to(REPO_ROOT)): hits
        for path in files
        if (hits := secrets_in(path.read_text(encoding="utf-8", errors="replace")))
    }

    assert found == {}
