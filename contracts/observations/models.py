"""KPI observations: a measured value for one period and KPI of an order, and the limits every layer reads."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.models import User
from contracts.orders.models import Order
from contracts.performance import KPI_CODE_MAX, MAX_PERIODS, NUMBER_TEXT_MAX
from marketplace.db import Base, ExactDecimal, TenantMixin, TimestampMixin, UTCDateTime, utcnow

OBSERVATION_STATUSES = ("reported", "verified", "disputed")

# Limits, declared once: the model, the page's inputs, the API schema and the validation read these.
PERIOD_MAX = MAX_PERIODS  # a period number is at most the longest term
KPI_MAX = KPI_CODE_MAX  # an observation names a KPI code of its order's terms
VALUE_TEXT_MAX = NUMBER_TEXT_MAX
NOTE_MAX = 5000


class Observation(TenantMixin, TimestampMixin, Base):
    """A KPI value for one period of an order, reported by the vendor and verified by the city.
    Only verified observations count for payment."""

    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint("order_id", "period", "kpi", name="order_period_kpi"),
        CheckConstraint("status IN ('reported', 'verified', 'disputed')", name="status"),
        CheckConstraint("period >= 1", name="period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    period: Mapped[int] = mapped_column()
    kpi: Mapped[str] = mapped_column(String(KPI_MAX))
    value: Mapped[Decimal] = mapped_column(ExactDecimal())
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="reported")
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the city disputed the value (kept while the vendor corrects it).
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="observations")  # Order.observations: see below
    reported_by: Mapped[User] = relationship(foreign_keys=[reported_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


# Declared here rather than in contracts.orders.models, which may not import this module (dependencies point
# from observations to orders); an order's observations are read only by this sub-package.
Order.observations = relationship(
    Observation, back_populates="order", order_by=(Observation.period, Observation.kpi)
)
