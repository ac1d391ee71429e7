"""Invoices: what a vendor asks to be paid for one period of a performance order, or for lines of an order;
and the limits every layer (form, API schema, validation) reads."""

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

# Limits, declared once.
NUMBER_MAX = 60
MAX_INVOICE_LINES = 100


class Invoice(TenantMixin, TimestampMixin, Base):
    """The vendor's invoice for one period of a performance order, or for lines of an order."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("vendor_id", "number", name="vendor_number"),
        CheckConstraint("status IN ('submitted', 'approved', 'paid', 'rejected')", name="status"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("period IS NULL OR period >= 1", name="period"),
        Index("ix_invoice_order_status", "order_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    number: Mapped[str] = mapped_column(String(NUMBER_MAX))
    issued_on: Mapped[date] = mapped_column()
    # A performance period, or None for an invoice of order lines (see `lines`).
    period: Mapped[int | None] = mapped_column()
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
