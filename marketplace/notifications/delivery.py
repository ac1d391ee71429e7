"""E-mailing the outbox: every pending notification at most once, even with several deliverers.

Each message is claimed in its own transaction: on PostgreSQL with `SELECT … FOR UPDATE SKIP LOCKED`
(another deliverer skips the row this one holds and takes the next), on SQLite under the database's
write lock. The row stays locked while the message is handed to the mail server and is marked `sent` in
the same transaction, so two deliverers never send the same notification. A failure is recorded on the
row (`attempts`, `last_error`) and retried later with backoff; after `MAX_ATTEMPTS` it is `failed`, still
in the table for the office to see. Without `MAIL_SERVER` each message is written as an `.eml` file to
`MAIL_FILE_DIR`, so `make demo` works offline.
"""

from __future__ import annotations

import contextlib
import email.policy
import logging
import smtplib
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.locking import begin_serialized_write
from marketplace.notifications.models import Notification
from marketplace.templating import when

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4, 8, 16 minutes between attempts
# Long subjects stay on one header line (folding them is legal, but some clients show the fold).
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)
CLEARED_BODY = "This message held a single-use link. It was removed from the records once the e-mail was sent."


@dataclass
class DeliveryReport:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.sent} sent, {self.skipped} skipped, {self.retried} to retry, "
                f"{self.failed} failed for good")


def backoff(attempts: int) -> timedelta:
    return BACKOFF_BASE * (2 ** max(attempts - 1, 0))


# --- transports ---------------------------------------------------------------------------------------


class SmtpTransport:
    """One connection per delivery run, opened on the first message."""

    def __init__(self, config: dict):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        cfg = self.config
        host, port = cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"])
        if cfg["MAIL_USE_SSL"]:
            conn = smtplib.SMTP_SSL(host, port, timeout=cfg["MAIL_TIMEOUT"])
        else:
            conn = smtplib.SMTP(host, port, timeout=cfg["MAIL_TIMEOUT"])
            if cfg["MAIL_USE_TLS"]:
                conn.starttls()
        if cfg["MAIL_USERNAME"]:
            conn.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        return conn

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self._open()
        try:
            self.connection.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.connection = self._open()  # the server hung up between messages: once more, afresh
            self.connection.send_message(message)

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()
            self.connection = None


class FileTransport:
    """Writes each message as `<id>.eml` into a folder (no mail server configured)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{message['X-Notification-Id']:0>8}.eml"
        (self.folder / name).write_bytes(bytes(message))

    def close(self) -> None:
        pass


def transport_for(config: dict):
    return SmtpTransport(config) if config.get("MAIL_SERVER") else FileTransport(config["MAIL_FILE_DIR"])


# --- the message ---------------------------------------------------------------------------------------


def absolute(path: str | None) -> str | None:
    if not path:
        return None
    return current_app.config["BASE_URL"].rstrip("/") + path


def build_message(note: Notification) -> EmailMessage:
    consortium = note.consortium
    context = {
        "note": note, "consortium": consortium, "recipient": note.recipient,
        "link": absolute(note.link), "preferences": absolute("/account/notifications"),
        "sent_at": when(note.created_at, consortium.time_zone), "time_zone": consortium.time_zone,
    }
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = f"[{consortium.name}] {note.subject}"
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = formataddr((note.recipient.name, note.address)) if note.recipient else note.address
    message["Message-ID"] = make_msgid(domain="alliance-marketplace")
    message["X-Notification-Id"] = str(note.id)
    # Rendered without the page context processors: there is no request, and nobody is signed in.
    env = current_app.jinja_env
    message.set_content(env.get_template("email/notification.txt").render(**context))
    message.add_alternative(env.get_template("email/notification.html").render(**context), subtype="html")
    return message


# --- delivering ---------------------------------------------------------------------------------------


def _claim_next() -> Notification | None:
    """The oldest pending notification that is due, locked for this transaction."""
    now = utcnow()
    stmt = (select(Notification)
            .where(Notification.email_status == "pending",
                   or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
            .order_by(Notification.id).limit(1))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=Notification)
    else:
        begin_serialized_write()
    return db.session.scalars(stmt.execution_options(populate_existing=True)).unique().first()


def _deliver_one(note: Notification, transport, report: DeliveryReport) -> None:
    if note.recipient is not None and not note.recipient.is_active:
        note.email_status = "skipped"
        note.last_error = "The person's account is deactivated."
        report.skipped += 1
        return
    note.attempts += 1
    try:
        transport.send(build_message(note))
    except (OSError, smtplib.SMTPException) as exc:
        note.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        report.errors.append(f"notification {note.id}: {note.last_error}")
        log.warning("e-mail of notification %s failed (attempt %s): %s", note.id, note.attempts, note.last_error)
        if note.attempts >= MAX_ATTEMPTS:
            note.email_status = "failed"
            report.failed += 1
        else:
            note.next_attempt_at = utcnow() + backoff(note.attempts)
            report.retried += 1
        if isinstance(transport, SmtpTransport):
            transport.close()
        return
    note.email_status = "sent"
    note.sent_at = utcnow()
    note.last_error = None
    if note.sensitive:
        note.body, note.link = CLEARED_BODY, None
    report.sent += 1


def deliver_pending(*, limit: int | None = None, transport=None) -> DeliveryReport:
    """E-mail every due pending notification once; commits after each message."""
    report = DeliveryReport()
    transport = transport or transport_for(current_app.config)
    handled = 0
    try:
        while limit is None or handled < limit:
            note = _claim_next()
            if note is None:
                db.session.rollback()
                break
            _deliver_one(note, transport, report)
            db.session.commit()
            handled += 1
    finally:
        transport.close()
    return report

