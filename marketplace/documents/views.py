"""Document pages: the upload form (in each owner's documents section, and on a page of its own that also
shows a refused upload's messages), and the download, served as an attachment with the detected type.

Also the app wiring (`init_documents`): the section as a template global (`documents_section(key, obj)`), the
upload routes' own request size limit (`DOCUMENT_MAX_BYTES` plus the multipart envelope, applied before any
other hook reads the body), and the 413 answer that says how large a document may be.
"""

from __future__ import annotations

import io

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from marketplace.documents import downloads, queries, registry, services, sniffing
from marketplace.documents.forms import DocumentForm
from marketplace.errors import DomainError, ValidationFailed, json_error, wants_json
from marketplace.extensions import db

bp = Blueprint("documents", __name__, url_prefix="/c/<consortium_slug>")

# Room for the multipart envelope around the file (boundaries, headers, the title and the CSRF token).
MULTIPART_OVERHEAD = 64 * 1024
UPLOAD_ENDPOINTS = {"documents.upload"}  # the API adds its own (marketplace.documents.api)


def _load(owner_key: str, owner_id: int, *, adding: bool):
    owner = registry.owner_for_key(owner_key)
    if not current_user.is_authenticated:
        abort(401)
    obj = owner.load(owner_id, current_user)
    if obj is None or not owner.can_view(current_user, obj):
        abort(404)
    if adding and not owner.can_add(current_user, obj):
        abort(403)
    return owner, obj


def _upload_page(owner, obj, form, status: int, message: str | None = None):
    return render_template("documents/upload.html", owner=owner, obj=obj, message=message,
                           form=form if owner.can_add(current_user, obj) else None,
                           documents=queries.documents_of(owner, obj),
                           max_size=services.size_text(services.max_bytes()), back=owner.page_url(obj)), status


def upload(owner_key: str, owner_id: int):
    """GET: the owner's documents (and, for its editors, the upload form) on a page of their own: whoever may
    see the owner. POST: the owner's editors add the file; a refused upload comes back to this page with its
    messages (and the title typed), a success to the owner's page."""
    owner, obj = _load(owner_key, owner_id, adding=request.method == "POST")
    form = DocumentForm()
    if request.method == "GET":
        return _upload_page(owner, obj, form, 200)
    upload_file = request.files.get(form.file.name)
    try:
        if not form.validate():
            raise ValidationFailed(services.PROBLEMS)
        document = services.add_document(owner, obj, title=form.title.data,
                                         stream=upload_file.stream if upload_file else io.BytesIO(),
                                         filename=upload_file.filename if upload_file else None, actor=current_user)
    except DomainError as err:
        db.session.rollback()
        for name, message in err.fields.items():
            if hasattr(form, name):
                getattr(form, name).errors = [message]
        owner, obj = _load(owner_key, owner_id, adding=True)
        return _upload_page(owner, obj, form, err.status, None if err.fields else err.message)
    db.session.commit()
    flash(f"“{document.title}” added as version {document.version} ({document.filename}).", "success")
    return redirect(owner.page_url(obj) + "#documents", 303)


for _key in registry.OWNER_KEYS:
    bp.add_url_rule(f"/{_key}/<int:owner_id>/documents", endpoint="upload", view_func=upload,
                    methods=["GET", "POST"], defaults={"owner_key": _key})


@bp.route("/documents/<int:document_id>/download")
def download(document_id: int):
    document, _, _ = queries.visible_document_or_404(document_id, current_user)
    return downloads.file_response(document)


# --- wiring ------------------------------------------------------------------------------------------------


def documents_section(owner_key: str, obj) -> Markup:
    """The owner page's documents section: every title (newest version, the older ones beneath) and, for the
    owner's editors, the upload form."""
    owner = registry.owner_for_key(owner_key)
    may_add = owner.can_add(current_user, obj)
    return Markup(render_template(
        "documents/_section.html", owner=owner, obj=obj, documents=queries.documents_of(owner, obj),
        form=DocumentForm(formdata=None) if may_add else None,
        action=url_for("documents.upload", owner_key=owner.key, owner_id=obj.id),
        max_size=services.size_text(services.max_bytes())))


def _allow_document_uploads() -> None:
    """Before any other hook reads the body: the upload routes accept a document plus its multipart envelope
    (Werkzeug answers 413 from the Content-Length alone, and stops a chunked body at the limit)."""
    if request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = services.max_bytes() + MULTIPART_OVERHEAD


def _too_large(err: RequestEntityTooLarge):
    db.session.rollback()
    message = services.too_large_message() if request.endpoint in UPLOAD_ENDPOINTS else "The request is too large."
    if wants_json():
        return json_error(413, "too_large", message)
    return render_template("errors/error.html", status=413, message=message), 413


def init_documents(app: Flask, api_endpoints=()) -> None:
    UPLOAD_ENDPOINTS.update(api_endpoints)
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_document_uploads)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.jinja_env.globals["documents_section"] = documents_section
    app.jinja_env.filters["file_size"] = services.size_text
    app.jinja_env.filters["document_kind"] = sniffing.label_of

