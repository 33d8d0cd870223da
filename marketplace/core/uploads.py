"""Every file a person or a partner system uploads is checked here, by the services that
accept it, so the API and the browser refuse the same files with the same words.

The rules (docs/security.md):

* a size limit per kind of file (settings ROSTER_CSV_MAX_BYTES, BODS_MAX_BYTES,
  ATTESTATION_DOCUMENT_MAX_BYTES), checked against the size Django measured while it
  streamed the upload to disk, before a byte is read back;
* the type is taken from the content, never from the name or the client's Content-Type:
  attestation documents are PDF, PNG or JPEG by their magic numbers; a roster is UTF-8
  text without NUL bytes; a BODS file is UTF-8 JSON text;
* an upload is stored under a name the platform makes from ids; the client's name is
  never used for storage, and only `display_name()` of it may ever be shown;
* a stored upload leaves the platform only through `attachment_response()`: always an
  attachment, never sniffed by the browser, typed from an allow-list.

Refusals are RuleViolation with the form field's name, so the API answers 400 with
{"fields": {name: [message]}} and a browser form shows the message next to the field.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.http import FileResponse

from marketplace.core.errors import NotFound, RuleViolation

CHUNK_BYTES = 64 * 1024
MEGABYTE = 1024 * 1024


# --- sizes -----------------------------------------------------------------------------------


def _limit_text(max_bytes: int) -> str:
    if max_bytes >= MEGABYTE:
        return f"{max_bytes / MEGABYTE:g} MB"
    return f"{max_bytes} bytes"


def _too_large(field: str, max_bytes: int) -> RuleViolation:
    return RuleViolation(
        f"The file is larger than {_limit_text(max_bytes)}.", code="file_too_large", field=field
    )


def check_size(upload: File, *, max_bytes: int, field: str) -> None:
    """Refuses a file whose known size is over the limit without reading it. A stream of
    unknown size is checked as it is read (`read_limited`, `_chunks`)."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _too_large(field, max_bytes)


def read_limited(upload: File, *, max_bytes: int, field: str) -> bytes:
    """The whole file, for kinds small enough to hold in memory: at most max_bytes + 1
    bytes are ever read, whatever the file claims its size is."""
    check_size(upload, max_bytes=max_bytes, field=field)
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(field, max_bytes)
    return data


def _chunks(upload: File, *, max_bytes: int, field: str) -> Iterator[bytes]:
    check_size(upload, max_bytes=max_bytes, field=field)
    upload.seek(0)
    seen = 0
    while chunk := upload.read(CHUNK_BYTES):
        seen += len(chunk)
        if seen > max_bytes:
            raise _too_large(field, max_bytes)
        yield chunk
    upload.seek(0)


# --- names -----------------------------------------------------------------------------------

DISPLAY_NAME_MAX = 100
_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f<>:\"/\\|?*`'$&;{}\[\]]+")
_SPACES = re.compile(r"\s+")


def display_name(name: str | None, *, default: str = "file") -> str:
    """The client's file name made safe to show, never to store: no folders, no
    control characters, no markup or shell characters, at most 100 characters, keeping
    the extension where it fits."""
    name = unicodedata.normalize("NFKC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _SPACES.sub(" ", _UNSAFE_IN_NAME.sub("_", name)).strip(" ._")
    # Bidirectional overrides can make "exe.pdf" look like "fdp.exe".
    name = "".join(c for c in name if unicodedata.category(c) not in {"Cf", "Cc", "Cs", "Co"})
    if not name:
        return default
    if len(name) > DISPLAY_NAME_MAX:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            name = f"{stem[: DISPLAY_NAME_MAX - len(suffix) - 1]}.{suffix}"
        else:
            name = name[:DISPLAY_NAME_MAX]
    return name


def _ascii_name(name: str) -> str:
    """A download name any browser and shell reads literally: ASCII letters, digits,
    dots, dashes and underscores."""
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_only).strip(".-_") or "download"


# --- attestation documents -------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentType:
    suffix: str
    content_type: str


PDF = DocumentType("pdf", "application/pdf")
PNG = DocumentType("png", "image/png")
JPEG = DocumentType("jpg", "image/jpeg")
CSV = DocumentType("csv", "text/csv")
JSON = DocumentType("json", "application/json")
OPAQUE = DocumentType("bin", "application/octet-stream")

# Magic numbers at offset 0. PDF readers accept a header anywhere in the first kilobyte;
# the platform asks for it first, so nothing else can hide in front of it.
DOCUMENT_SIGNATURES: tuple[tuple[bytes, DocumentType], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
SNIFF_BYTES = 16


def sniff_document(head: bytes) -> DocumentType | None:
    """PDF, PNG or JPEG by the file's first bytes, or None."""
    for signature, document_type in DOCUMENT_SIGNATURES:
        if head.startswith(signature):
            return document_type
    return None


def check_attestation_document(upload: File, *, field: str = "document") -> DocumentType:
    """Refuses an attestation document over ATTESTATION_DOCUMENT_MAX_BYTES or whose
    content is not a PDF, PNG or JPEG; returns its type, for the stored name."""
    check_size(upload, max_bytes=settings.ATTESTATION_DOCUMENT_MAX_BYTES, field=field)
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    document_type = sniff_document(head)
    if document_type is None:
        raise RuleViolation(
            "The document must be a PDF, PNG or JPEG file.",
            code="file_type_not_allowed",
            field=field,
        )
    return document_type


# --- roster CSV --------------------------------------------------------------------------


def csv_text(data: bytes, *, field: str = "file") -> str:
    """The text of a CSV file: UTF-8 (a byte order mark is dropped), no NUL byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RuleViolation(
            "The file is not UTF-8 text. Save the roster as CSV (UTF-8) and upload it again.",
            code="file_encoding",
            field=field,
        ) from None
    if "\x00" in text:
        raise RuleViolation("The file is not CSV text.", code="file_type_not_allowed", field=field)
    return text


def read_roster_csv(upload: File, *, field: str = "file", max_bytes: int | None = None) -> bytes:
    """The bytes of a roster CSV no larger than ROSTER_CSV_MAX_BYTES whose content is CSV
    text (csv_text); the caller stores these bytes, not the upload."""
    limit = settings.ROSTER_CSV_MAX_BYTES if max_bytes is None else max_bytes
    data = read_limited(upload, max_bytes=limit, field=field)
    csv_text(data, field=field)
    return data


# --- BODS JSON ---------------------------------------------------------------------------


def check_json_upload(upload: File, *, field: str = "file", max_bytes: int | None = None) -> None:
    """Refuses a file over BODS_MAX_BYTES or that is not JSON text: UTF-8 throughout, no
    NUL byte, starting (after a byte order mark and white space) with an array or an
    object. Read in chunks, never held whole; whether the JSON is well formed is for the
    parser that reads it next, which names the statement at fault."""
    limit = settings.BODS_MAX_BYTES if max_bytes is None else max_bytes
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    first = ""
    not_json = RuleViolation(
        "The file is not JSON: upload a JSON array of BODS statements or JSON Lines.",
        code="file_type_not_allowed",
        field=field,
    )
    try:
        for chunk in _chunks(upload, max_bytes=limit, field=field):
            text = decoder.decode(chunk)
            if "\x00" in text:
                raise not_json
            if not first:
                first = text.lstrip("\ufeff \t\r\n")[:1]
                if first and first not in "[{":
                    raise not_json
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise RuleViolation(
            "The file is not UTF-8 text; BODS files are JSON in UTF-8.",
            code="file_encoding",
            field=field,
        ) from None
    if not first:
        raise RuleViolation("The file is empty.", code="file_empty", field=field)


# --- downloads -----------------------------------------------------------------------------

# The only types a stored upload is ever sent as; a browser renders none of them as a page
# that runs script, and nosniff stops it from guessing another.
DOWNLOAD_TYPES = {t.content_type: t for t in (PDF, PNG, JPEG, CSV, JSON)}
# What a stored attestation document is served as, when its bytes say it is one.
DOWNLOAD_TYPES_OF_DOCUMENTS = (PDF.content_type, PNG.content_type, JPEG.content_type)


def attachment_response(
    file: File | IO[bytes], *, filename: str, content_type: str | None = None
) -> FileResponse:
    """Sends a stored upload as a download, never as a page: Content-Disposition
    attachment, X-Content-Type-Options nosniff, a sandboxing Content-Security-Policy, and
    a Content-Type from DOWNLOAD_TYPES.

    Without `content_type` the type is sniffed from the first bytes (PDF, PNG, JPEG);
    anything else, or a `content_type` not on the allow-list, goes out as
    application/octet-stream. `filename` is the name the browser saves under (made ASCII
    and safe here; its extension is replaced by the type's). Raises NotFound when the
    stored file is gone. The response closes the file when it is sent."""
    try:
        stream: Any = file.open("rb") if isinstance(file, File) else file
    except FileNotFoundError:
        raise NotFound("The file is missing.") from None
    if content_type is None:
        head = stream.read(SNIFF_BYTES)
        stream.seek(0)
        document_type = sniff_document(head) or OPAQUE
    else:
        document_type = DOWNLOAD_TYPES.get(content_type.split(";")[0].strip().lower(), OPAQUE)
    stem = _ascii_name(display_name(filename, default="download")).rsplit(".", 1)[0]
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=f"{stem or 'download'}.{document_type.suffix}",
        content_type=(
            f"{document_type.content_type}; charset=utf-8"
            if document_type.content_type.startswith("text/")
            else document_type.content_type
        ),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
