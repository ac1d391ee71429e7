"""Loading documents with their owner's visibility: a document is seen by whoever may see its owner; one of
another consortium, or of an owner the person may not see, answers 404 (never 403)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace.audit import DOCUMENT_ADDED
from marketplace.auditlabels import Label, link, register_label, register_verb
from marketplace.documents.models import Document
from marketplace.documents.registry import Owner, owner_for_type
from marketplace.extensions import db
from marketplace.tenancy import current_consortium_id, get_or_404


def visible_document_or_404(document_id, user) -> tuple[Document, Owner, object]:
    """The document, its owner's registration and the owner object, when `user` may see the owner."""
    document = get_or_404(Document, document_id)
    if current_consortium_id() is None or document.consortium_id != current_consortium_id():
        abort(404)
    owner = owner_for_type(document.owner_type)
    obj = owner.load(document.owner_id, user)
    if obj is None or not owner.can_view(user, obj):
        abort(404)
    return document, owner, obj


@dataclass
class Titled:
    """One title on an owner: its newest version, and the older ones beneath it (newest first)."""

    latest: Document
    older: list[Document] = field(default_factory=list)


def documents_of(owner: Owner, obj) -> list[Titled]:
    """The owner's documents by title, the most recently updated title first (one query)."""
    stmt = (select(Document).where(Document.owner_type == owner.object_type, Document.owner_id == obj.id)
            .options(joinedload(Document.uploaded_by))
            .order_by(Document.title, Document.version.desc()))
    titled: dict[str, Titled] = {}
    for document in db.session.scalars(stmt):
        if document.title in titled:
            titled[document.title].older.append(document)
        else:
            titled[document.title] = Titled(document)
    return sorted(titled.values(), key=lambda t: (t.latest.created_at, t.latest.id), reverse=True)


def versions_of(document: Document) -> list[Document]:
    """Every version of the document's title on its owner, newest first."""
    return list(db.session.scalars(select(Document).where(
        Document.owner_type == document.owner_type, Document.owner_id == document.owner_id,
        Document.title == document.title).order_by(Document.version.desc())))


def documents_named(ids: list[int]) -> dict[int, Label]:
    """How the audit log names documents: 'document "Pilot report" (version 2) on pilot #4', linked to the
    file (the download itself checks who may see it)."""
    rows = db.session.scalars(select(Document).where(Document.id.in_(ids)))
    return {d.id: Label(f'document "{d.title}" (version {d.version}) on {d.owner_type.replace("_", " ")} '
                        f"#{d.owner_id}", d.filename, link("documents.download", document_id=d.id)) for d in rows}


register_label("document", documents_named)
register_verb(DOCUMENT_ADDED, "added")
