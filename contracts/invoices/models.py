"""Invoices: what a vendor asks to be paid for one period of a performance order, or for lines of an order; and,
the other way, what a city bills the vendor for its revenue share (one period's share, or one guarantee block's
true-up); and the limits every layer (form, API schema, validation) reads."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.models import Organization, User
from contracts.orders.models import Order, OrderLine
from marketplace.db import Base, Money, TenantMixin, TimestampMixin, UTCDateTime, utcnow

INVOICE_STATUSES = ("submitted", "approved", "paid", "rejected")
STATUS_LABELS = {"submitted": "Submitted", "approved": "Approved", "paid": "Paid", "rejected": "Rejected"}
# Decided: the city has said yes or no. Open: still waiting for the city.
DECIDED_STATUSES = ("approved", "paid", "rejected")
# Counted against what is due: everything but a rejected invoice.
COUNTED_STATUSES = ("submitted", "approved", "paid")
# Who bills whom: the vendor the city (for its work), or the city the vendor (for the city's revenue share).
VENDOR_TO_CITY = "vendor_to_city"
CITY_TO_VENDOR = "city_to_vendor"
DIRECTIONS = (VENDOR_TO_CITY, CITY_TO_VENDOR)

# Limits, declared once.
NUMBER_MAX = 60
MAX_INVOICE_LINES = 100


class Invoice(TenantMixin, TimestampMixin, Base):
    """The vendor's invoice for one period of a performance order, or for lines of an order; or (direction
    ``city_to_vendor``) the city's invoice to the vendor for its revenue share of a period, or for the true-up
    of a guarantee block. ``vendor_id`` is the order's vendor either way, which keeps numbers unique between
    the two parties."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("vendor_id", "number", name="vendor_number"),
        CheckConstraint("status IN ('submitted', 'approved', 'paid', 'rejected')", name="status"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("period IS NULL OR period >= 1", name="period"),
        CheckConstraint("direction IN ('vendor_to_city', 'city_to_vendor')", name="direction"),
        CheckConstraint("block IS NULL OR (block >= 1 AND period IS NULL AND direction = 'city_to_vendor')",
                        name="block"),
        Index("ix_invoice_order_status", "order_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    number: Mapped[str] = mapped_column(String(NUMBER_MAX))
    issued_on: Mapped[date] = mapped_column()
    # A performance period, or None for an invoice of order lines (see `lines`).
    period: Mapped[int | None] = mapped_column()
    direction: Mapped[str] = mapped_column(String(20), default=VENDOR_TO_CITY, server_default=VENDOR_TO_CITY)
    # A guarantee block of the revenue share (its true-up), for a city's invoice that is not for a period.
    block: Mapped[int | None] = mapped_column()
    amount: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    reason: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_on: Mapped[date | None] = mapped_column()
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship()
    vendor: Mapped[Organization] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    paid_by: Mapped[User | None] = relationship(foreign_keys=[paid_by_id])
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", cascade="all, delete-orphan", order_by="InvoiceLine.id")

    @property
    def reference(self) -> str:
        return f"INV-{self.id:06d}"

    @property
    def is_revenue_share(self) -> bool:
        """The city's invoice to the vendor for its revenue share."""
        return self.direction == CITY_TO_VENDOR

    @property
    def billed_by(self) -> Organization:
        return self.order.member if self.is_revenue_share else self.vendor

    @property
    def billed_to(self) -> Organization:
        return self.vendor if self.is_revenue_share else self.order.member

    @property
    def direction_text(self) -> str:
        """Who bills whom, in words: "Tempe invoices BrightStreet Lighting"."""
        return f"{self.billed_by.name} invoices {self.billed_to.name}"

    @property
    def status_label(self) -> str:
        """The status as pages show it: a city's invoice waits for the vendor's payment, not for a decision."""
        if self.is_revenue_share and self.status == "submitted":
            return "Issued, awaiting payment"
        return STATUS_LABELS[self.status]


class InvoiceLine(Base):
    """How much of an invoice of order lines falls on each line (never more than the line has left)."""

    __tablename__ = "invoice_line"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()
