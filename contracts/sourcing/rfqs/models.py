"""RFQs, their lines, and the vendors' sealed quotes; the limits every layer (form, API schema, validation) reads.

A quote answers every line of its RFQ, in order: quote line N prices RFQ line N with one price item of the
vendor's own award schedule (its name and unit may differ from the line's words), at the RFQ line's quantity
and a unit price at most the vendor's contract price for that item.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.listings.models import PriceItem
from consortium.models import Organization, User
from contracts.orders.models import Order
from contracts.vehicles.models import ScheduleItem, Vehicle
from marketplace.db import Base, ExactDecimal, Money, TenantMixin, TimestampMixin, UTCDateTime, utcnow

RFQ_STATUSES = ("open", "closed", "awarded", "cancelled")
STATUS_LABELS = {"open": "Open for quotes", "closed": "Closed", "awarded": "Awarded", "cancelled": "Cancelled"}
EVALUATIONS = {"lowest_price": "Lowest price", "best_value": "Best value"}

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
LINES_MAX = 50
LINE_NAME_MAX = 200
LINE_UNIT_MAX = 40
NOTE_MAX = 2000  # a vendor's note with its quote
OPEN_AT_MOST_DAYS = 365  # how far ahead quotes may close
# Fewer quotes than this, or anything but the lowest total, and the award needs a written justification.
QUOTES_WITHOUT_JUSTIFICATION = 3


class Rfq(TenantMixin, TimestampMixin, Base):
    """A request for quotes under a multi-award vehicle, issued by a member that may buy under it."""

    __tablename__ = "rfq"
    object_type = "rfq"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed', 'awarded', 'cancelled')", name="status"),
        CheckConstraint("evaluation IN ('lowest_price', 'best_value')", name="evaluation"),
        Index("ix_rfq_vehicle_status", "vehicle_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    evaluation: Mapped[str] = mapped_column(String(20))
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="open")
    status_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The award: the winning vendor (its quote is the RFQ's quote of that vendor), the draft order made from
    # it, and the justification when one was needed.
    awarded_vendor_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    awarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id"))
    justification: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    vehicle: Mapped[Vehicle] = relationship()
    member: Mapped[Organization] = relationship(foreign_keys=[member_id])
    created_by: Mapped[User] = relationship()
    awarded_vendor: Mapped[Organization | None] = relationship(foreign_keys=[awarded_vendor_id])
    order: Mapped[Order | None] = relationship()
    lines: Mapped[list[RfqLine]] = relationship(back_populates="rfq", cascade="all, delete-orphan",
                                                order_by="RfqLine.position")
    quotes: Mapped[list[Quote]] = relationship(back_populates="rfq", order_by="Quote.id")

    @property
    def reference(self) -> str:
        return f"RFQ-{self.id:05d}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def evaluation_label(self) -> str:
        return EVALUATIONS[self.evaluation]

    @property
    def was_closed(self) -> bool:
        """The quotes were opened: closed, awarded, or cancelled after the close."""
        return self.closed_at is not None

    def quote_of(self, vendor_id: int | None) -> Quote | None:
        return next((quote for quote in self.quotes if quote.vendor_id == vendor_id), None)

    @property
    def awarded_quote(self) -> Quote | None:
        return self.quote_of(self.awarded_vendor_id) if self.awarded_vendor_id else None


class RfqLine(Base):
    """What the member asks a price for: a name, a unit and a quantity."""

    __tablename__ = "rfq_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfq.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(LINE_NAME_MAX))
    unit: Mapped[str] = mapped_column(String(LINE_UNIT_MAX))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())

    rfq: Mapped[Rfq] = relationship(back_populates="lines")


class Quote(TenantMixin, TimestampMixin, Base):
    """One awarded vendor's sealed answer to an RFQ; replaced in place until the close (`version` counts)."""

    __tablename__ = "rfq_quote"
    object_type = "quote"
    __table_args__ = (UniqueConstraint("rfq_id", "vendor_id", name="rfq_vendor"),
                      CheckConstraint("total >= 0", name="total"))

    id: Mapped[int] = mapped_column(primary_key=True)
    rfq_id: Mapped[int] = mapped_column(ForeignKey("rfq.id", ondelete="CASCADE"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[Decimal] = mapped_column(Money())
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    rfq: Mapped[Rfq] = relationship(back_populates="quotes")
    vendor: Mapped[Organization] = relationship()
    submitted_by: Mapped[User] = relationship()
    lines: Mapped[list[QuoteLine]] = relationship(back_populates="quote", cascade="all, delete-orphan",
                                                  order_by="QuoteLine.position")


class QuoteLine(Base):
    """The price of one RFQ line: a price item of the vendor's schedule at a unit price ≤ its contract price."""

    __tablename__ = "rfq_quote_line"
    __table_args__ = (CheckConstraint("unit_price > 0", name="positive_price"),
                      CheckConstraint("total >= 0", name="total"))

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("rfq_quote.id", ondelete="CASCADE"), index=True)
    rfq_line_id: Mapped[int] = mapped_column(ForeignKey("rfq_line.id", ondelete="CASCADE"), index=True)
    schedule_item_id: Mapped[int] = mapped_column(ForeignKey("schedule_item.id"))
    price_item_id: Mapped[int] = mapped_column(ForeignKey("price_item.id"))
    position: Mapped[int] = mapped_column(default=0)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())

    quote: Mapped[Quote] = relationship(back_populates="lines")
    rfq_line: Mapped[RfqLine] = relationship()
    schedule_item: Mapped[ScheduleItem] = relationship()
    price_item: Mapped[PriceItem] = relationship()
