"""Adding a document to an owner: size, type from the content, SHA-256, the next version of its title, the
file stored content-addressed, and the audit event `document.added`, all in the caller's transaction."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import BinaryIO

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.documents import sniffing, storage
from marketplace.documents.models import FILENAME_MAX, TITLE_MAX, Document
from marketplace.documents.registry import Owner
from marketplace.errors import Conflict, DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.inputs import clean_text, raise_if

PROBLEMS = "The document could not be added."


class TooLarge(DomainError):
    """The upload is bigger than `DOCUMENT_MAX_BYTES` (HTTP 413)."""

    status = 413
    code = "too_large"


def max_bytes() -> int:
    return int(current_app.config["DOCUMENT_MAX_BYTES"])


def size_text(size: int) -> str:
    """1536 → '1.5 KB'; 10485760 → '10 MB' (binary units, as file managers show them)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def too_large_message() -> str:
    return f"The file is too large: a document can be at most {size_text(max_bytes())}."


def read_limited(stream: BinaryIO) -> bytes:
    """The whole upload, or `TooLarge` as soon as it passes the limit (never more than limit + 1 byte read)."""
    limit = max_bytes()
    content = stream.read(limit + 1)
    if len(content) > limit:
        raise TooLarge(too_large_message(), {"file": too_large_message()})
    return content


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"*:<>?|]")


def safe_filename(raw: str | None, kind: sniffing.Kind) -> str:
    """The base name of what the person's computer called the file (any folders, Windows or POSIX, dropped;
    quotes and control characters removed), with the extension of the detected type."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/:]", name)[-1]  # folders and a Windows drive ("C:") dropped
    name = _UNSAFE.sub("", name).strip().strip(".").strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = extension.lower()
    if sniffing.SYNONYMS.get(extension, extension) != kind.extension:
        stem = name  # "report.exe" that is a PDF becomes "report.exe.pdf": the type shows
        extension = kind.extension
    stem = stem[: FILENAME_MAX - len(extension) - 1].strip() or "document"
    return f"{stem}.{extension}"


def _next_version(owner: Owner, owner_id: int, title: str) -> int:
    latest = db.session.scalar(select(func.max(Document.version)).where(
        Document.owner_type == owner.object_type, Document.owner_id == owner_id, Document.title == title))
    return (latest or 0) + 1


def add_document(owner: Owner, obj, *, title, filename: str | None, stream: BinaryIO, actor) -> Document:
    """Attach the uploaded file to `obj` as the next version of `title`. Raises PermissionDenied (not one of
    the owner's editors), ValidationFailed (no title, an empty or refused file: fields `title`, `file`),
    TooLarge (over `DOCUMENT_MAX_BYTES`) or Conflict (the same version written at the same moment)."""
    if not owner.can_add(actor, obj):
        raise PermissionDenied(f"You cannot add documents to this {owner.noun}.")
    fields: dict[str, str] = {}
    title = clean_text(title, "title", fields, limit=TITLE_MAX, required=True)
    title = " ".join(title.split())
    content = read_limited(stream)
    kind = None
    if not content:
        fields["file"] = "Choose a file to upload."
    else:
        try:
            kind = sniffing.detect(content)
        except sniffing.Refused as refused:
            fields["file"] = str(refused)
    raise_if(fields, PROBLEMS)
    digest = hashlib.sha256(content).hexdigest()
    document = Document(consortium_id=obj.consortium_id, owner_type=owner.object_type, owner_id=obj.id,
                        title=title, filename=safe_filename(filename, kind), media_type=kind.media_type,
                        size=len(content), sha256=digest, version=_next_version(owner, obj.id, title),
                        uploaded_by_id=actor.id)
    try:
        with db.session.begin_nested():
            db.session.add(document)
            db.session.flush()
    except IntegrityError:
        raise Conflict(f"Another version of “{title}” was added at the same moment. Reload the page and "
                       "upload again if yours is still needed.") from None
    storage.store(content, digest)
    audit.record(consortium_id=obj.consortium_id, actor=actor, action=audit.DOCUMENT_ADDED, obj=document,
                 after={"owner_type": owner.object_type, "owner_id": obj.id, "title": title,
                        "version": document.version, "filename": document.filename,
                        "media_type": document.media_type, "size": document.size, "sha256": digest})
    return document
