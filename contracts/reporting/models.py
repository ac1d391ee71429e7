"""Quarterly sales reports (one per vehicle × awarded vendor × calendar quarter), their lines, and the admin-fee
payments the consortium office records against them; the limits every layer (form, API schema, validation)
reads.

A line is either prefilled from the platform (`source = platform`: one per member, summed from the vendor's
approved and paid invoices issued in the quarter on the vehicle's orders) or reported by the vendor
(`source = reported`: a public entity that bought outside the marketplace, named in `customer_name`). `net`
and the report's `net_total` and `fee` are computed by the server (`contracts.reporting.fees`) and stored, so
lists, dashboards and exports sum them without recomputing; `fee_paid` is the sum of the payments, kept under
the report's row lock.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.models import Organization, User
from contracts.vehicles.models import Vehicle
from marketplace.db import Base, ExactDecimal, Money, TenantMixin, TimestampMixin, UTCDateTime, utcnow

REPORT_STATUSES = ("due", "submitted", "accepted", "returned")
STATUS_LABELS = {"due": "Due", "submitted": "Submitted", "accepted": "Accepted", "returned": "Returned"}
# The vendor may still edit its reported lines and submit.
OPEN_STATUSES = ("due", "returned")
# Filed: no longer late once here.
FILED_STATUSES = ("submitted", "accepted")
SOURCES = ("platform", "reported")
PLATFORM = "platform"
REPORTED = "reported"

# Limits, declared once.
QUARTER_PATTERN = r"^[0-9]{4}Q[1-4]$"
CUSTOMER_NAME_MAX = 200
REPORTED_LINES_MAX = 100  # lines a vendor reports on one report
AMOUNT_MAX = Decimal("999999999999.99")  # gross, tax, freight, returns of one line
PAYMENT_MAX = AMOUNT_MAX


class SalesReport(TenantMixin, TimestampMixin, Base):
    """One awarded vendor's sales under one vehicle in one calendar quarter, and the admin fee it owes."""

    __tablename__ = "sales_report"
    object_type = "sales_report"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "vendor_id", "quarter", name="vehicle_vendor_quarter"),
        CheckConstraint("status IN ('due', 'submitted', 'accepted', 'returned')", name="status"),
        CheckConstraint("fee >= 0", name="fee"),
        CheckConstraint("fee_paid >= 0 AND fee_paid <= fee", name="fee_paid"),
        Index("ix_sales_report_quarter_status", "quarter", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(6))  # "2026Q3"
    status: Mapped[str] = mapped_column(String(20), default="due")
    due_on: Mapped[date] = mapped_column()
    fee_due_on: Mapped[date] = mapped_column()
    # The vehicle's admin-fee percentage when the report was opened (a later change does not rebill).
    admin_fee_pct: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal("0"))
    net_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    fee: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    fee_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    vehicle: Mapped[Vehicle] = relationship()
    vendor: Mapped[Organization] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    lines: Mapped[list[SalesReportLine]] = relationship(
        back_populates="report", cascade="all, delete-orphan",
        order_by="[SalesReportLine.source, SalesReportLine.position, SalesReportLine.id]")
    payments: Mapped[list[FeePayment]] = relationship(back_populates="report", order_by="FeePayment.id")

    @property
    def reference(self) -> str:
        return f"SR-{self.id:05d}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def fee_balance(self) -> Decimal:
        """What is still owed of the fee (billed once the report is accepted)."""
        return self.fee - self.fee_paid if self.status == "accepted" else Decimal("0.00")

    @property
    def platform_lines(self) -> list[SalesReportLine]:
        return [line for line in self.lines if line.source == PLATFORM]

    @property
    def reported_lines(self) -> list[SalesReportLine]:
        return [line for line in self.lines if line.source == REPORTED]

    def is_late(self, on: date) -> bool:
        """Not filed (submitted or accepted) after its due date, `on` being the consortium's local date."""
        return self.status not in FILED_STATUSES and on > self.due_on

    def is_fee_overdue(self, on: date) -> bool:
        """An accepted report whose fee is not fully paid after the fee due date."""
        return self.status == "accepted" and self.fee_balance > 0 and on > self.fee_due_on

    def __repr__(self) -> str:
        return f"<SalesReport {self.vehicle_id}/{self.vendor_id} {self.quarter} {self.status}>"


class SalesReportLine(Base):
    """Sales to one customer: a member (from the platform's invoices) or a public entity outside it."""

    __tablename__ = "sales_report_line"
    __table_args__ = (
        CheckConstraint("source IN ('platform', 'reported')", name="source"),
        CheckConstraint("gross >= 0 AND tax >= 0 AND freight >= 0 AND returns >= 0", name="amounts"),
        CheckConstraint("member_id IS NOT NULL OR customer_name IS NOT NULL", name="customer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("sales_report.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    position: Mapped[int] = mapped_column(default=0)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    customer_name: Mapped[str | None] = mapped_column(String(CUSTOMER_NAME_MAX))
    gross: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    freight: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    returns: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    net: Mapped[Decimal] = mapped_column(Money())  # may be negative (returns above the quarter's sales)

    report: Mapped[SalesReport] = relationship(back_populates="lines")
    member: Mapped[Organization | None] = relationship()

    @property
    def customer(self) -> str:
        return self.member.name if self.member is not None else (self.customer_name or "")


class FeePayment(TenantMixin, TimestampMixin, Base):
    """An admin-fee payment the office received for an accepted report."""

    __tablename__ = "fee_payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("sales_report.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    paid_on: Mapped[date] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    report: Mapped[SalesReport] = relationship(back_populates="payments")
    recorded_by: Mapped[User] = relationship()
