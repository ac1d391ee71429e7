"""A signature on a participating addendum.

A participation has at most one current (not voided) signature per role: `member` (the member's approver)
and `office` (the consortium office's countersignature). Voided signatures are kept, with when and why, so
the verification page can tell a digest of superseded terms from an unknown one.

Participations executed before signatures were recorded (before this table existed) have no rows here:
nothing is invented for them, and pages and the PDF say so (`queries.executed_before_signatures`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.models import User
from contracts.vehicles.models import Participation
from marketplace.db import Base, TenantMixin, UTCDateTime, utcnow

ROLES = ("member", "office")
NAME_MAX = 120  # the signer's printed name
TITLE_MAX = 120  # the signer's title
AUTHORITY_MAX = 500  # the authority statement ("Resolution 2026-14, delegated authority up to $250,000")
DIGEST_LENGTH = 64  # hex characters of a SHA-256


class Signature(TenantMixin, Base):
    """One side's signature on a participating addendum, bound to the terms it signed by their digest."""

    __tablename__ = "participation_signature"
    __table_args__ = (
        CheckConstraint("role IN ('member', 'office')", name="role"),
        Index("uq_participation_signature_current", "participation_id", "role", unique=True,
              sqlite_where=text("voided_at IS NULL"), postgresql_where=text("voided_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participation_id: Mapped[int] = mapped_column(ForeignKey("participation.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    signer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    authority: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    terms_sha256: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_reason: Mapped[str | None] = mapped_column(Text)

    participation: Mapped[Participation] = relationship()
    signer: Mapped[User] = relationship()

    @property
    def is_current(self) -> bool:
        return self.voided_at is None

    def __repr__(self) -> str:
        return f"<Signature {self.role} participation={self.participation_id}{' voided' if self.voided_at else ''}>"
