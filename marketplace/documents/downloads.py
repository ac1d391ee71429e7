"""Serving a stored document: as an attachment with the type detected at upload, never sniffed or run by the
browser, under a safe file name; a file that vanished from disk is logged and answers a clear 404."""

from __future__ import annotations

import logging
import unicodedata
from urllib.parse import quote

from flask import send_file

from marketplace.documents import storage
from marketplace.documents.models import Document
from marketplace.errors import NotFound

log = logging.getLogger(__name__)


def ascii_name(filename: str) -> str:
    """A plain-ASCII stand-in for the file name (accents dropped, anything else as "_")."""
    folded = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    cleaned = "".join(c if c.isalnum() or c in " ._-()" else "_" for c in folded).strip() or "document"
    return cleaned


def file_response(document: Document):
    """The stored file as an attachment with the detected type, never sniffed or run by the browser. A file
    that vanished from disk is logged and answers a clear 404."""
    path = storage.existing(document.sha256)
    if path is None:
        log.error("document %s (%s, version %s, sha256 %s) is missing from %s", document.id, document.title,
                  document.version, document.sha256, storage.root())
        raise NotFound(f"The file of “{document.title}” (version {document.version}) is missing from the "
                       "document store. The problem has been logged for the site's operators; nothing else "
                       "about the document changed.")
    response = send_file(path, mimetype=document.media_type, as_attachment=True, download_name=document.filename,
                         etag=document.sha256, max_age=0, conditional=True)
    response.headers["Content-Disposition"] = (f'attachment; filename="{ascii_name(document.filename)}"; '
                                               f"filename*=UTF-8''{quote(document.filename, safe='')}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
