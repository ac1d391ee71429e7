"""How it is bought: cooperative contract vehicles, their price schedules, and participating addenda.

The limits below are declared once, here: the columns, the forms, the API's JSON Schema and
`contracts.vehicles.validation` all read them (tests/contracts/test_vehicle_limits.py checks they agree).
`today()` is the vehicles' only clock: "expired" is derived from it, so no job has to run.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.listings.models import Listing, PriceItem
from consortium.models import Organization, User
from marketplace.db import Base, ExactDecimal, Money, TenantMixin, TimestampMixin, UTCDateTime

VEHICLE_STATUSES = ("draft", "active", "terminated")  # "expired" is derived from the end date
PARTICIPATION_STATUSES = ("requested", "executed", "declined")
STATUS_LABELS = {"draft": "Draft", "active": "Active", "expired": "Expired", "terminated": "Terminated"}
PARTICIPATION_LABELS = {"requested": "Requested", "executed": "Executed", "declined": "Declined"}

# --- limits (one place: columns, forms, API schema and validation read these) ---------------------
NUMBER_MAX = 40  # characters of a vehicle number
TITLE_MAX = 200
NOTES_MAX = 20000
SPECIAL_TERMS_MAX = 5000  # a participation's special terms
LISTINGS_MAX = 50  # listings one vehicle covers
SCHEDULE_MAX = 200  # lines of a price schedule
RENEWALS_MAX = 10  # renewal options
RENEWAL_MONTHS_MAX = 60  # months per renewal option
ADMIN_FEE_MAX = 100  # percent
ADMIN_FEE_PLACES = 4  # decimals of the admin fee percentage


def today() -> date:
    """The date contract terms are measured against: the only clock of the vehicles package. Tests
    move time with `monkeypatch.setattr(contracts.vehicles.models, "today", ...)`; every caller reads it
    as `models.today()` (never `from ... import today`, which would not see the patch)."""
    return date.today()


vehicle_listing = Table(
    "vehicle_listing",
    Base.metadata,
    Column("vehicle_id", ForeignKey("vehicle.id", ondelete="CASCADE"), primary_key=True),
    Column("listing_id", ForeignKey("listing.id"), primary_key=True),
)


class Vehicle(TenantMixin, TimestampMixin, Base):
    """A master agreement one lead member awarded on behalf of the consortium."""

    __tablename__ = "vehicle"
    __table_args__ = (
        UniqueConstraint("consortium_id", "number", name="consortium_number"),
        CheckConstraint("status IN ('draft', 'active', 'terminated')", name="status"),
        CheckConstraint("ceiling > 0", name="positive_ceiling"),
        CheckConstraint("committed >= 0 AND committed <= ceiling", name="committed_within_ceiling"),
        CheckConstraint("end_date > start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(NUMBER_MAX))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    lead_agency_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    renewal_count: Mapped[int] = mapped_column(default=0)
    renewal_months: Mapped[int] = mapped_column(default=0)
    renewals_exercised: Mapped[int] = mapped_column(default=0)
    ceiling: Mapped[Decimal] = mapped_column(Money())
    # Sum of the not-to-exceed values of orders submitted under the vehicle (kept by order services
    # under a row lock, so concurrent orders can never together overrun the ceiling).
    committed: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    admin_fee_pct: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal("0"))
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    status_reason: Mapped[str | None] = mapped_column(Text)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    lead_agency: Mapped[Organization] = relationship(foreign_keys=[lead_agency_id])
    vendor: Mapped[Organization] = relationship(foreign_keys=[vendor_id])
    listings: Mapped[list[Listing]] = relationship(secondary=vehicle_listing, order_by="Listing.title")
    schedule: Mapped[list[ScheduleItem]] = relationship(
        back_populates="vehicle", cascade="all, delete-orphan", order_by="ScheduleItem.id"
    )
    participations: Mapped[list[Participation]] = relationship(
        back_populates="vehicle", order_by="Participation.id"
    )

    def effective_status(self, on: date | None = None) -> str:
        """draft, active, terminated, or `expired` once the end date has passed (no job runs for it)."""
        if self.status == "active" and (on or today()) > self.end_date:
            return "expired"
        return self.status

    def is_in_force(self, on: date | None = None) -> bool:
        """Active and within its term (start date reached, end date not passed): orders may be placed."""
        on = on or today()
        return self.status == "active" and self.start_date <= on <= self.end_date

    def has_participant(self, member_id: int | None) -> bool:
        """The lead agency, or a member with an executed participating addendum (whatever the status
        now). Reads `self.participations` (load it eagerly for lists)."""
        if not member_id:
            return False
        return self.lead_agency_id == member_id or any(
            p.member_id == member_id and p.status == "executed" for p in self.participations)

    @property
    def remaining(self) -> Decimal:
        return self.ceiling - self.committed

    @property
    def renewals_left(self) -> int:
        return self.renewal_count - self.renewals_exercised

    def __repr__(self) -> str:
        return f"<Vehicle {self.number} {self.status}>"


class ScheduleItem(Base):
    """One line of a vehicle's price schedule: a listing's price item at a contract price."""

    __tablename__ = "schedule_item"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "price_item_id", name="vehicle_price_item"),
        CheckConstraint("contract_price > 0", name="positive_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), index=True)
    price_item_id: Mapped[int] = mapped_column(ForeignKey("price_item.id"), index=True)
    contract_price: Mapped[Decimal] = mapped_column(Money())

    vehicle: Mapped[Vehicle] = relationship(back_populates="schedule")
    price_item: Mapped[PriceItem] = relationship()

    @property
    def discount_pct(self) -> Decimal:
        """How far below the list price the contract price is, in percent (two decimals)."""
        list_price = self.price_item.list_price
        return ((list_price - self.contract_price) * 100 / list_price).quantize(Decimal("0.01"))


class Participation(TenantMixin, TimestampMixin, Base):
    """A participating addendum: how a member other than the lead agency joins a vehicle."""

    __tablename__ = "participation"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'executed', 'declined')", name="status"),
        CheckConstraint("member_not_to_exceed IS NULL OR member_not_to_exceed > 0", name="positive_limit"),
        CheckConstraint(
            "committed >= 0 AND (member_not_to_exceed IS NULL OR committed <= member_not_to_exceed)",
            name="committed_within_limit",
        ),
        Index("ix_participation_vehicle_member", "vehicle_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    member_not_to_exceed: Mapped[Decimal | None] = mapped_column(Money())
    special_terms: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="requested")
    committed: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)

    vehicle: Mapped[Vehicle] = relationship(back_populates="participations")
    member: Mapped[Organization] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def remaining(self) -> Decimal | None:
        if self.member_not_to_exceed is None:
            return None
        return self.member_not_to_exceed - self.committed
