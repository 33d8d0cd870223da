"""Uploads are limited in size, judged by their content (never by their name or the type
the client claims), stored under names the platform makes, and sent back only as
attachments of an allowed type. Through marketplace/core/uploads.py, the services that
accept uploads, and the API endpoints that take them."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.core import uploads
from marketplace.core.errors import NotFound, RuleViolation
from marketplace.ownership.models import Entity
from tests.api.conftest import key_client
from tests.factories import AttestationKindFactory
from tests.ownership.test_bods_import import company
from vendors import services
from vendors.models import Attestation, RosterImport

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 16
HTML = b"<!doctype html><html><script>fetch('/api/v1/api-keys/')</script></html>"
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48
LINUX_EXE = b"\x7fELF\x02\x01\x01" + b"\x00" * 48
ZIP = b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 32
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 16

ROSTER = (
    "specialist_name,specialist_email,field,level,issuer,identifier,issued_on,expires_on\n"
    "Dr Amara Okafor,amara@example.test,medicine,md,Board,A-1,2020-07-01,2028-06-30\n"
)


class Unreadable(io.BytesIO):
    """A file that claims its size and must not be read: the limit is checked first."""

    def __init__(self, size: int) -> None:
        super().__init__(b"")
        self.size = size
        self.name = "huge.bin"

    def read(self, *args: Any) -> bytes:
        raise AssertionError("an oversized file was read")


class Counting(io.BytesIO):
    """A stream of unknown size that counts what is read from it."""

    size = None

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, n: int | None = -1) -> bytes:
        chunk = super().read(n)
        self.bytes_read += len(chunk)
        return chunk


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type)


def add_attestation(medix: Any, document: Any) -> Attestation:
    today = timezone.localdate()
    return services.attestation_add(
        vendor=medix.vendor,
        user=medix.owner,
        kind=AttestationKindFactory(code="soc2"),
        issued_on=today - timedelta(days=10),
        expires_on=today + timedelta(days=300),
        document=document,
    )


def stored_files(media_root: Path) -> list[Path]:
    return [path for path in media_root.rglob("*") if path.is_file()]


# --- attestation documents: by content -------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "suffix"), [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpg")], ids=["pdf", "png", "jpeg"]
)
def test_a_pdf_png_or_jpeg_is_stored_under_a_name_of_ids_and_its_real_type(
    medix: Any, media_root: Path, content: bytes, suffix: str
) -> None:
    # Named and typed as something else: only the content counts.
    attestation = add_attestation(medix, upload("../../etc/cron.d/x.exe", content, "text/html"))

    name = attestation.document.name
    kind_id = attestation.kind_id
    assert name.startswith(f"attestations/{medix.vendor.pk}/{kind_id}-")
    assert name.endswith(f".{suffix}")
    assert "etc" not in name and "cron" not in name and ".." not in name
    assert (media_root / name).read_bytes() == content


@pytest.mark.parametrize(
    "content",
    [HTML, WINDOWS_EXE, LINUX_EXE, ZIP, SVG, WEBP, b"", b"%PD"],
    ids=["html", "windows exe", "linux exe", "zip", "svg", "webp", "empty", "truncated pdf"],
)
def test_anything_else_named_pdf_is_refused_and_nothing_is_stored(
    medix: Any, media_root: Path, content: bytes
) -> None:
    with pytest.raises(RuleViolation) as refused:
        add_attestation(medix, upload("audit report.pdf", content, "application/pdf"))

    assert refused.value.field == "document"
    assert refused.value.code == "file_type_not_allowed"
    assert "PDF, PNG or JPEG" in refused.value.message
    assert not Attestation.objects.exists()
    assert stored_files(media_root) == []


def test_an_oversized_document_is_refused_without_being_read(medix: Any, settings: Any) -> None:
    settings.ATTESTATION_DOCUMENT_MAX_BYTES = 1024

    with pytest.raises(RuleViolation) as refused:
        add_attestation(medix, Unreadable(size=1025))

    assert refused.value.field == "document"
    assert refused.value.code == "file_too_large"
    assert "1024 bytes" in refused.value.message


def test_the_default_document_limit_is_ten_megabytes(settings: Any) -> None:
    assert settings.ATTESTATION_DOCUMENT_MAX_BYTES == 10 * 1024 * 1024
    assert settings.ROSTER_CSV_MAX_BYTES == 5 * 1024 * 1024
    assert settings.BODS_MAX_BYTES == 10 * 1024 * 1024


def test_an_attestation_without_a_document_is_fine(medix: Any) -> None:
    assert not add_attestation(medix, None).document


# --- roster CSV ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (ROSTER.encode() + b"\x00\x00", "file_type_not_allowed"),
        (ROSTER.encode("utf-16"), "file_encoding"),
        (ROSTER.replace("Okafor", "Ökafor").encode("latin-1"), "file_encoding"),
        (WINDOWS_EXE, "file_encoding"),
        (PNG, "file_encoding"),
    ],
    ids=["nul bytes", "utf-16", "latin-1", "renamed exe", "renamed png"],
)
def test_a_roster_that_is_not_utf8_csv_text_is_refused(
    medix: Any, media_root: Path, content: bytes, code: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        services.roster_import_start(
            vendor=medix.vendor, user=medix.owner, uploaded_file=upload("roster.csv", content)
        )

    assert (refused.value.field, refused.value.code) == ("file", code)
    assert not RosterImport.objects.exists()
    assert stored_files(media_root) == []


def test_an_oversized_roster_is_refused_without_being_read(
    medix: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "ROSTER_IMPORT_MAX_BYTES", 1000)

    with pytest.raises(RuleViolation, match="larger than 1000 bytes"):
        services.roster_import_start(
            vendor=medix.vendor, user=medix.owner, uploaded_file=Unreadable(size=1001)
        )


def test_a_roster_of_unknown_size_is_read_only_up_to_the_limit(
    medix: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "ROSTER_IMPORT_MAX_BYTES", 1000)
    stream = Counting(ROSTER.encode() * 200)

    with pytest.raises(RuleViolation, match="larger than"):
        services.roster_import_start(vendor=medix.vendor, user=medix.owner, uploaded_file=stream)

    assert stream.bytes_read == 1001


def test_a_roster_is_stored_under_a_name_of_ids(medix: Any) -> None:
    roster_import = services.roster_import_start(
        vendor=medix.vendor,
        user=medix.owner,
        uploaded_file=upload("../../<b>team</b>.csv.exe", ROSTER.encode(), "application/x-exe"),
    )

    assert roster_import.file.name == f"roster-imports/{medix.vendor.pk}/{roster_import.pk}.csv"


# --- BODS JSON ---------------------------------------------------------------------------


def bods_bytes() -> bytes:
    return json.dumps([company("upload-1", "Upload Fund")]).encode()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (HTML, "file_type_not_allowed"),
        (WINDOWS_EXE, "file_encoding"),
        (b"[" + b"\x00" * 8 + b"]", "file_type_not_allowed"),
        ('[{"name": "Café"}]'.encode("latin-1"), "file_encoding"),
        (bods_bytes().decode().encode("utf-16"), "file_encoding"),
        (b"", "file_empty"),
        (b" \n\t ", "file_empty"),
    ],
    ids=["html", "renamed exe", "nul bytes", "latin-1", "utf-16", "empty", "blank"],
)
def test_a_bods_upload_that_is_not_json_text_is_refused(
    medix: Any, content: bytes, code: str
) -> None:
    entities = Entity.objects.count()

    with pytest.raises(RuleViolation) as refused:
        services.vendor_bods_import(
            vendor=medix.vendor, user=medix.owner, upload=upload("ownership.json", content)
        )

    assert (refused.value.field, refused.value.code) == ("file", code)
    assert Entity.objects.count() == entities


def test_a_bods_upload_with_a_byte_order_mark_is_json(medix: Any) -> None:
    content = b"\xef\xbb\xbf  \n" + bods_bytes()

    summary = services.vendor_bods_import(
        vendor=medix.vendor, user=medix.owner, upload=upload("ownership.json", content)
    )

    assert summary.statements == 1


def test_an_oversized_bods_upload_is_refused_without_being_read(
    medix: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BODS_UPLOAD_MAX_BYTES", 4096)

    with pytest.raises(RuleViolation, match="larger than 4096 bytes"):
        services.vendor_bods_import(vendor=medix.vendor, user=medix.owner, upload=Unreadable(4097))


def test_a_bods_stream_of_unknown_size_stops_at_the_limit(medix: Any) -> None:
    stream = Counting(b"[" + b" " * (3 * uploads.CHUNK_BYTES) + b"]")

    with pytest.raises(RuleViolation, match="larger than"):
        uploads.check_json_upload(stream, max_bytes=uploads.CHUNK_BYTES)

    assert stream.bytes_read <= 2 * uploads.CHUNK_BYTES


# --- through the API ---------------------------------------------------------------------


def api_attestation(client: Any, document: Any) -> Any:
    today = timezone.localdate()
    return client.post(
        "/api/v1/vendor/attestations/",
        {
            "kind": AttestationKindFactory(code="iso27001").code,
            "issued_on": str(today - timedelta(days=1)),
            "expires_on": str(today + timedelta(days=200)),
            "document": document,
        },
        format="multipart",
    )


@pytest.mark.parametrize(
    "content", [HTML, WINDOWS_EXE, SVG, WEBP], ids=["html", "exe", "svg", "webp"]
)
def test_the_api_refuses_a_document_by_its_content(medix: Any, content: bytes) -> None:
    response = api_attestation(
        key_client(medix.vendor.organisation), upload("report.pdf", content, "application/pdf")
    )

    assert response.status_code == 400
    assert "document" in response.json()["error"]["fields"]
    assert not Attestation.objects.exists()


def test_the_api_refuses_an_oversized_document(medix: Any, settings: Any) -> None:
    settings.ATTESTATION_DOCUMENT_MAX_BYTES = 64
    document = upload("report.pdf", PDF + b"x" * 64, "application/pdf")

    response = api_attestation(key_client(medix.vendor.organisation), document)

    assert response.status_code == 400
    assert "larger than" in response.json()["error"]["fields"]["document"][0]


def test_the_api_refuses_a_roster_with_nul_bytes(medix: Any) -> None:
    response = key_client(medix.vendor.organisation).post(
        "/api/v1/vendor/roster-imports/",
        {"file": upload("roster.csv", ROSTER.encode() + b"\x00", "text/csv")},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["The file is not CSV text."]}
    assert not RosterImport.objects.exists()


def test_the_api_refuses_a_roster_in_another_encoding(medix: Any) -> None:
    response = key_client(medix.vendor.organisation).post(
        "/api/v1/vendor/roster-imports/",
        {"file": upload("roster.csv", ROSTER.encode("utf-16"), "text/csv")},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_encoding"


def test_the_api_refuses_a_bods_file_that_is_a_web_page(medix: Any) -> None:
    response = key_client(medix.vendor.organisation).post(
        "/api/v1/vendor/bods/",
        {"file": upload("ownership.json", HTML, "application/json")},
        format="multipart",
    )

    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_the_api_refuses_an_oversized_bods_file(
    medix: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "BODS_UPLOAD_MAX_BYTES", 1024)
    content = bods_bytes() + b" " * 2048

    response = key_client(medix.vendor.organisation).post(
        "/api/v1/vendor/bods/",
        {"file": upload("ownership.json", content, "application/json")},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_too_large"


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\eve\\Desktop\\audit 2025.pdf", "audit 2025.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "img src=x onerror=alert(1)_.pdf"),
        ("report\u202efdp.exe", "reportfdp.exe"),
        ("a\x00b\nc\r.pdf", "a_b_c_.pdf"),
        ('"quoted"; rm -rf ~.csv', "quoted_ rm -rf ~.csv"),
        ("", "file"),
        ("../..", "file"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
    ],
)
def test_a_file_name_is_only_ever_shown_made_safe(given: str, shown: str) -> None:
    assert uploads.display_name(given) == shown


# --- downloads ---------------------------------------------------------------------------


def download(content: bytes, **kwargs: Any) -> Any:
    response = uploads.attachment_response(ContentFile(content, name="stored"), **kwargs)
    return response, b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("content", "content_type", "saved_as"),
    [
        (PDF, "application/pdf", "pdf"),
        (PNG, "image/png", "png"),
        (JPEG, "image/jpeg", "jpg"),
        (HTML, "application/octet-stream", "bin"),
        (SVG, "application/octet-stream", "bin"),
    ],
    ids=["pdf", "png", "jpeg", "html", "svg"],
)
def test_a_download_is_an_attachment_of_an_allowed_type(
    content: bytes, content_type: str, saved_as: str
) -> None:
    response, body = download(content, filename="../<b>report.html")

    assert body == content
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (f'attachment; filename="b_report.{saved_as}"')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_a_download_type_off_the_allow_list_is_sent_as_opaque_bytes() -> None:
    response, _ = download(HTML, filename="page", content_type="text/html")

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="page.bin"'


def test_a_csv_download_keeps_its_type() -> None:
    response, _ = download(ROSTER.encode(), filename="roster 12.csv", content_type="text/csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="roster-12.csv"'


def test_a_stored_document_downloads_from_its_field(medix: Any) -> None:
    attestation = add_attestation(medix, upload("a.pdf", PDF))

    response = uploads.attachment_response(
        attestation.document, filename=f"attestation-{attestation.pk}-soc2"
    )

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="attestation-{attestation.pk}-soc2.pdf"'
    )
    assert b"".join(response.streaming_content) == PDF


def test_a_missing_stored_file_is_not_found(medix: Any, media_root: Path) -> None:
    attestation = add_attestation(medix, upload("a.pdf", PDF))
    (media_root / attestation.document.name).unlink()

    with pytest.raises(NotFound):
        uploads.attachment_response(attestation.document, filename="a")
