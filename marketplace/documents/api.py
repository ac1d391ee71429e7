"""JSON API for documents (DESIGN section 7): `POST /api/v1/<owner>/<id>/documents` (multipart: file, title)
for every owner key, `GET /api/v1/documents/<id>` (the metadata) and `GET /api/v1/documents/<id>/download`
(the file, as the pages serve it)."""

from __future__ import annotations

import io

from flask import Blueprint, abort, request, url_for
from flask_login import current_user

from marketplace.api import DATETIME, ID, created, operation
from marketplace.documents import downloads, queries, registry, services
from marketplace.documents.models import TITLE_MAX, Document
from marketplace.documents.sniffing import ALLOWED, KINDS
from marketplace.extensions import db
from marketplace.tenancy import current_consortium_id

api = Blueprint("documents_api", __name__, url_prefix="/api/v1")

UPLOAD_IN = {
    "type": "object", "required": ["file", "title"],
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": f"A {ALLOWED} file, at most DOCUMENT_MAX_BYTES (10 MB by default; larger: 413). "
                                "Its type is read from its content, never from its name."},
        "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX,
                  "description": "The same title as an earlier document of this owner adds its next version."},
    },
}
_VERSION = {"type": "object", "required": ["id", "version"], "properties": {
    "id": ID, "version": {"type": "integer"}, "created_at": DATETIME, "download_url": {"type": "string"}}}
DOCUMENT_OUT = {
    "type": "object",
    "required": ["id", "owner", "owner_id", "title", "filename", "media_type", "size", "sha256", "version",
                 "created_at", "download_url"],
    "properties": {
        "id": ID, "owner": {"type": "string", "enum": list(registry.OWNER_KEYS)}, "owner_id": ID,
        "title": {"type": "string"}, "filename": {"type": "string"},
        "media_type": {"type": "string", "enum": [kind.media_type for kind in KINDS]},
        "size": {"type": "integer", "minimum": 0}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "version": {"type": "integer", "minimum": 1},
        "uploaded_by": {"type": "object", "properties": {"id": ID, "name": {"type": "string"}}},
        "created_at": DATETIME, "download_url": {"type": "string"},
        "versions": {"type": "array", "items": _VERSION, "description": "Every version of the title, newest first."},
    },
}


def _download_url(document: Document) -> str:
    return url_for("documents_api.download_document", document_id=document.id)


def document_json(document: Document, owner: registry.Owner, *, versions: list[Document] | None = None) -> dict:
    body = {
        "id": document.id, "owner": owner.key, "owner_id": document.owner_id, "title": document.title,
        "filename": document.filename, "media_type": document.media_type, "size": document.size,
        "sha256": document.sha256, "version": document.version,
        "uploaded_by": {"id": document.uploaded_by.id, "name": document.uploaded_by.name},
        "created_at": document.created_at.isoformat(), "download_url": _download_url(document),
    }
    if versions is not None:
        body["versions"] = [{"id": v.id, "version": v.version, "created_at": v.created_at.isoformat(),
                             "download_url": _download_url(v)} for v in versions]
    return body


def _in_a_consortium() -> None:
    if current_consortium_id() is None:
        abort(404)


def _add(owner_key: str, owner_id: int):
    _in_a_consortium()
    owner = registry.owner_for_key(owner_key)
    obj = owner.load(owner_id, current_user)
    if obj is None or not owner.can_view(current_user, obj):
        abort(404)
    upload = request.files.get("file")
    document = services.add_document(owner, obj, title=request.form.get("title"),
                                     filename=upload.filename if upload else None,
                                     stream=upload.stream if upload else io.BytesIO(), actor=current_user)
    db.session.commit()
    return created(document_json(document, owner, versions=queries.versions_of(document)))


UPLOAD_ENDPOINTS = set()
for _key in registry.OWNER_KEYS:
    def _view(owner_id: int, _key=_key):
        return _add(_key, owner_id)

    _view.__name__ = f"add_{_key}_document"
    operation(api, f"/{_key}/<int:owner_id>/documents", "POST", summary=f"Attach a document to one of the {_key}",
              tag="documents", form=UPLOAD_IN, response=DOCUMENT_OUT, status=201,
              errors=(400, 401, 403, 404, 409, 413))(_view)
    UPLOAD_ENDPOINTS.add(f"{api.name}.{_view.__name__}")


@operation(api, "/documents/<int:document_id>", "GET", summary="A document's metadata and its versions",
           tag="documents", response=DOCUMENT_OUT)
def get_document(document_id: int):
    _in_a_consortium()
    document, owner, _ = queries.visible_document_or_404(document_id, current_user)
    return document_json(document, owner, versions=queries.versions_of(document))


@operation(api, "/documents/<int:document_id>/download", "GET", summary="A document's file (as an attachment)",
           tag="documents", content_type=tuple(kind.media_type for kind in KINDS), errors=(401, 404))
def download_document(document_id: int):
    _in_a_consortium()
    document, _, _ = queries.visible_document_or_404(document_id, current_user)
    return downloads.file_response(document)
