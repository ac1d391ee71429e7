"""Verified reviews of listings (DESIGN section 4): a buyer or approver of a member city rates a listing it
bought through an order, once per order; the consortium office publishes or rejects; the vendor answers once.

The limits are declared once: the columns, the form, the API schema and the validation read them here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.listings.models import Listing
from consortium.models import Organization, User
from marketplace.db import Base, TenantMixin, TimestampMixin, UTCDateTime

# The five ratings, in the order pages show them, with what each asks.
RATINGS = {
    "overall": "Overall",
    "service": "Service",
    "value": "Value for money",
    "quality": "Quality",
    "timeliness": "Timeliness",
}
RATING_MIN = 1
RATING_MAX = 5
REVIEW_STATUSES = ("submitted", "published", "rejected")
STATUS_LABELS = {"submitted": "Waiting for moderation", "published": "Published", "rejected": "Rejected"}
TEXT_MAX = 4000
RESPONSE_MAX = 4000
# Orders a review may name: active or completed (DESIGN section 4, "verified purchase only").
REVIEWABLE_ORDER_STATES = ("active", "completed")


def _rating_checks() -> tuple:
    return tuple(CheckConstraint(f"{name} BETWEEN {RATING_MIN} AND {RATING_MAX}", name=f"{name}_range")
                 for name in RATINGS)


class Review(TenantMixin, TimestampMixin, Base):
    """One member's review of a listing, tied to the order it bought the listing through (one per order)."""

    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("order_id"),  # one review per order
        CheckConstraint("status IN ('submitted', 'published', 'rejected')", name="status"),
        *_rating_checks(),
        Index("ix_review_listing_status", "listing_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    # The order (contracts' `purchase_order` table) named by its table: catalog cannot import contracts.
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    overall: Mapped[int] = mapped_column()
    service: Mapped[int] = mapped_column()
    value: Mapped[int] = mapped_column()
    quality: Mapped[int] = mapped_column()
    timeliness: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    # Why the office rejected it (shown to the author's city and the office).
    status_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The vendor's one answer.
    response: Mapped[str | None] = mapped_column(Text)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    listing: Mapped[Listing] = relationship()
    member: Mapped[Organization] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])

    @property
    def ratings(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in RATINGS}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)
