"""The outbox row: one per recipient and event, with its e-mail state and its inbox state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, utcnow

EMAIL_STATUSES = ("pending", "sent", "failed", "skipped")
SUBJECT_MAX = 200
LINK_MAX = 500
ONCE_KEY_MAX = 120


class Notification(Base):
    """`recipient_id` is a person (inbox and e-mail); account mail to someone without an account yet
    (an invitation) has only `email`. `once_key` makes a reminder idempotent: a recipient gets one
    notification per key, however often the daily job runs."""

    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("email_status IN ('pending', 'sent', 'failed', 'skipped')", name="email_status"),
        CheckConstraint("recipient_id IS NOT NULL OR email IS NOT NULL", name="addressed"),
        UniqueConstraint("recipient_id", "once_key", name="uq_notification_recipient_once_key"),
        Index("ix_notification_recipient_read", "recipient_id", "read_at"),
        Index("ix_notification_email_due", "email_status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    email: Mapped[str | None] = mapped_column(String(254))  # account mail to a person without an account
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX))
    body: Mapped[str] = mapped_column(Text)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column()
    link: Mapped[str | None] = mapped_column(String(LINK_MAX))  # a path on this site
    once_key: Mapped[str | None] = mapped_column(String(ONCE_KEY_MAX))
    sensitive: Mapped[bool] = mapped_column(default=False)  # the body holds a secret link: cleared once sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    recipient = relationship("User", lazy="joined")
    consortium = relationship("Consortium", lazy="joined")

    @property
    def address(self) -> str | None:
        return self.recipient.email if self.recipient is not None else self.email

    def __repr__(self) -> str:
        return f"<Notification {self.kind} to {self.recipient_id or self.email}>"
