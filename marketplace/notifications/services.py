"""Writing notifications (the outbox) and reading the inbox."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select, update

from marketplace.db import utcnow
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.notifications.kinds import ACCOUNT, KINDS
from marketplace.notifications.models import SUBJECT_MAX, Notification


def wants_email(user, kind: str) -> bool:
    """E-mail is on for every kind unless the person switched it off (`account` mail always goes)."""
    if kind == ACCOUNT:
        return True
    return bool((getattr(user, "email_preferences", None) or {}).get(kind, True))


def link_for(endpoint: str, **values) -> str:
    """The path of a page, also outside a request (the daily job, the CLI)."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def notify(recipients: Iterable, *, kind: str, subject: str, body: str, consortium_id: int, obj=None,
           link: str | None = None, actor=None, once_key: str | None = None) -> list[Notification]:
    """Add one notification per recipient to the caller's transaction.

    The person who caused the event is not told about it; deactivated people are not told; a recipient
    who already has a notification with `once_key` gets no second one (reminders)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}: declare it in marketplace.notifications.kinds")
    people = {}
    for person in recipients:
        if person is None or not getattr(person, "is_active", True):
            continue
        if actor is not None and person.id == getattr(actor, "id", None):
            continue
        people[person.id] = person
    if once_key is not None and people:
        already = set(db.session.scalars(select(Notification.recipient_id).where(
            Notification.once_key == once_key, Notification.recipient_id.in_(list(people)))))
        people = {pid: p for pid, p in people.items() if pid not in already}
    written = []
    for person in people.values():
        note = Notification(
            consortium_id=consortium_id, recipient_id=person.id, kind=kind, subject=subject[:SUBJECT_MAX],
            body=body, link=link, once_key=once_key,
            object_type=getattr(obj, "object_type", obj.__tablename__) if obj is not None else None,
            object_id=obj.id if obj is not None else None,
            email_status="pending" if wants_email(person, kind) else "skipped",
        )
        db.session.add(note)
        written.append(note)
    if written:
        db.session.flush()
    return written


def send_account_mail(*, address: str, consortium_id: int, subject: str, body: str, link: str) -> Notification:
    """An e-mail with a secret link (invitation, password reset): never in the inbox, its body cleared
    once sent, never switched off."""
    note = Notification(consortium_id=consortium_id, recipient_id=None, email=address,
                        kind=ACCOUNT, subject=subject[:SUBJECT_MAX], body=body, link=link, sensitive=True,
                        email_status="pending")
    db.session.add(note)
    db.session.flush()
    return note


def preferences_of(user) -> dict[str, bool]:
    """E-mail on or off for every switchable kind."""
    return {kind: wants_email(user, kind) for kind in KINDS}


def set_preferences(user, chosen: dict[str, bool]) -> dict[str, bool]:
    """A personal setting, not a lifecycle step: only what differs from the default (on) is stored.
    Unknown kinds are refused by the caller's validation; here they are ignored."""
    merged = {**preferences_of(user), **{k: bool(v) for k, v in chosen.items() if k in KINDS}}
    user.email_preferences = {kind: False for kind, on in merged.items() if not on}
    db.session.flush()
    return merged


# --- the inbox ---------------------------------------------------------------------------------------


def inbox_stmt(user, *, unread_only: bool = False):
    stmt = select(Notification).where(Notification.recipient_id == user.id, Notification.kind != ACCOUNT)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == user.id, Notification.kind != ACCOUNT, Notification.read_at.is_(None)))


def get_notification_or_404(user, notification_id: int) -> Notification:
    """Only the recipient sees a notification: anyone else gets 404, as if it did not exist."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.recipient_id != user.id or note.kind == ACCOUNT:
        raise NotFound("There is no such notification.")
    return note


def mark_read(note: Notification) -> Notification:
    """Reading is not a lifecycle step: only the recipient does it, and doing it twice changes nothing."""
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return note


def mark_all_read(user) -> int:
    result = db.session.execute(update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount or 0
