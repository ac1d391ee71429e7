"""Single-use links: an invitation (7 days) and a password reset (1 hour). Only a SHA-256 of the token
is stored; the token itself exists in the e-mail alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.models import EMAIL_MAX, Consortium, Organization, User
from marketplace.db import Base, UTCDateTime, utcnow

# What became of a link: only an `open` one can be used.
OPEN, ACCEPTED, USED, REVOKED, EXPIRED = "open", "accepted", "used", "revoked", "expired"


class Invitation(Base):
    __tablename__ = "invitation"
    __table_args__ = (CheckConstraint("role IN ('buyer', 'approver', 'vendor', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # the account it became
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship(lazy="joined")
    consortium: Mapped[Consortium] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def state(self, now: datetime | None = None) -> str:
        """`open`, `accepted`, `revoked` or `expired` (derived: there is no status column)."""
        if self.accepted_at is not None:
            return ACCEPTED
        if self.revoked_at is not None:
            return REVOKED
        return EXPIRED if (now or utcnow()) >= self.expires_at else OPEN


class PasswordReset(Base):
    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")

    def state(self, now: datetime | None = None) -> str:
        """`open`, `used` or `expired`."""
        if self.used_at is not None:
            return USED
        return EXPIRED if (now or utcnow()) >= self.expires_at else OPEN
