"""Orders under a vehicle and their lines; the limits every layer (form, API schema, validation) reads."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.listings.models import PRICING_MODELS
from consortium.models import Organization, User
from contracts.vehicles.models import ScheduleItem, Vehicle
from marketplace.db import Base, ExactDecimal, Money, TenantMixin, TimestampMixin, UTCDateTime, utcnow

ORDER_STATUSES = ("draft", "submitted", "pending_approval", "approved", "active", "completed", "terminated",
                  "declined", "cancelled")
# States in which the order's value is committed against the vehicle ceiling and participation limit.
COMMITTED_STATUSES = ("submitted", "pending_approval", "approved", "active", "completed", "terminated")
STATUS_LABELS = {
    "draft": "Draft", "submitted": "Submitted", "pending_approval": "Pending approval", "approved": "Approved",
    "active": "Active", "completed": "Completed", "terminated": "Terminated", "declined": "Declined",
    "cancelled": "Cancelled",
}

# Limits, declared once: the model, the form, the API schema and the validation all read these.
PO_NUMBER_MAX = 60
NOTES_MAX = 5000
MAX_LINES = 100
QUANTITY_PLACES = 2
QUANTITY_TEXT_MAX = 20
MAX_QUANTITY = Decimal("10000000")
# The most one line may total: larger amounts would overflow the money columns (integer cents), and no
# vehicle ceiling comes near it anyway.
MAX_LINE_TOTAL = Decimal("999999999999.99")


def implied_pricing_model(performance: dict | None) -> str:
    """The pricing model an order's terms imply when none is named: a revenue share → `revenue_share`, other
    pay-for-performance terms → `as_a_service`, lines only → `purchase`. (Migration 20261208 carried existing
    orders forward by the same rule.)"""
    if performance and performance.get("revenue_share"):
        return "revenue_share"
    return "as_a_service" if performance else "purchase"


class Order(TenantMixin, TimestampMixin, Base):
    """A task order placed by a member under a vehicle, with optional pay-for-performance terms."""

    __tablename__ = "purchase_order"
    object_type = "order"  # as the audit trail, the queue and notifications name it ("order" is SQL's)
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'submitted', 'pending_approval', 'approved', 'active', 'completed', "
            "'terminated', 'declined', 'cancelled')",
            name="status",
        ),
        CheckConstraint("value >= 0", name="value"),
        CheckConstraint("pricing_model IN ('purchase', 'as_a_service', 'revenue_share', 'vendor_financed')",
                        name="pricing_model"),
        Index("ix_purchase_order_member_status", "member_id", "status"),
        Index("ix_purchase_order_vendor_status", "vendor_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    po_number: Mapped[str] = mapped_column(String(PO_NUMBER_MAX), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    delivery_start: Mapped[date | None] = mapped_column()
    delivery_end: Mapped[date | None] = mapped_column()
    performance: Mapped[dict | None] = mapped_column(JSON)
    # One of the pricing models the listings ordered from offer (catalog.listings.models.PRICING_MODELS).
    pricing_model: Mapped[str] = mapped_column(String(20), default="purchase", server_default="purchase")
    # Not-to-exceed value: one-time lines plus the most the performance terms can ever pay.
    value: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    # What this order has committed against the vehicle ceiling (0 when nothing is committed).
    committed: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    status_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Closeout: when the order was completed or terminated, and (terminated) the last period that had started;
    # the periods after it never run.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    last_period: Mapped[int | None] = mapped_column()

    vehicle: Mapped[Vehicle] = relationship()
    member: Mapped[Organization] = relationship(foreign_keys=[member_id])
    vendor: Mapped[Organization] = relationship(foreign_keys=[vendor_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.position"
    )
    # `Order.observations` is declared with Observation in contracts.observations.models: observations depend
    # on orders, never the reverse, and a mapper that names a class not yet imported cannot be configured.

    @property
    def reference(self) -> str:
        return f"TO-{self.id:06d}"

    @property
    def pricing_model_label(self) -> str:
        return PRICING_MODELS.get(self.pricing_model, self.pricing_model)

    @property
    def lines_total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))


class OrderLine(Base):
    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("unit_price > 0", name="positive_price"),
        CheckConstraint("total >= 0", name="total"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"), index=True)
    schedule_item_id: Mapped[int] = mapped_column(ForeignKey("schedule_item.id"))
    price_item_id: Mapped[int] = mapped_column(ForeignKey("price_item.id"))
    description: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    unit_price: Mapped[Decimal] = mapped_column(Money())
    total: Mapped[Decimal] = mapped_column(Money())
    position: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    schedule_item: Mapped[ScheduleItem] = relationship()

