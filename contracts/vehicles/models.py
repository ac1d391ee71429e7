"""How it is bought: cooperative contract vehicles, their awards and price schedules, and participating addenda.

A vehicle awards one or more vendors (`Award`): each award covers listings of its vendor and carries that
vendor's price schedule. The ceiling is the vehicle's, shared by every award; an order names the vendor
(one of the awards) and is priced from that award's schedule.

The limits below are declared once, here: the columns, the forms, the API's JSON Schema and
`contracts.vehicles.validation` all read them (tests/contracts/test_vehicle_limits.py checks they agree).
`today()` is the vehicles' only clock: "expired" is derived from it, so no job has to run.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

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
LISTINGS_MAX = 50  # listings one award covers
SCHEDULE_MAX = 200  # lines of one award's price schedule
AWARDS_MAX = 10  # vendors one vehicle awards
RENEWALS_MAX = 10  # renewal options
RENEWAL_MONTHS_MAX = 60  # months per renewal option
ADMIN_FEE_MAX = 100  # percent
ADMIN_FEE_PLACES = 4  # decimals of the admin fee percentage


def today() -> date:
    """The date contract terms are measured against: the only clock of the vehicles package. Tests
    move time with `monkeypatch.setattr(contracts.vehicles.models, "today", ...)`; every caller reads it
    as `models.today()` (never `from ... import today`, which would not see the patch)."""
    return date.today()


award_listing = Table(
    "award_listing",
    Base.metadata,
    Column("award_id", ForeignKey("vehicle_award.id", ondelete="CASCADE"), primary_key=True),
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
    awards: Mapped[list[Award]] = relationship(
        back_populates="vehicle", cascade="all, delete-orphan", order_by=lambda: [Award.position, Award.id]
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
    def vendors(self) -> list[Organization]:
        """The awarded vendors, in award order."""
        return [award.vendor for award in self.awards]

    @property
    def vendor_names(self) -> str:
        """'ParkSense', 'ParkSense and CurbIQ', 'A, B and C' (for sentences and headings)."""
        names = [vendor.name for vendor in self.vendors]
        return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else "".join(names)

    @property
    def is_multi_award(self) -> bool:
        return len(self.awards) > 1

    def award_of(self, vendor_id: int | None) -> Award | None:
        """The award of this vendor, or None when it is not awarded on this vehicle."""
        return next((award for award in self.awards if award.vendor_id == vendor_id), None)

    @property
    def listings(self) -> list[Listing]:
        """Every award's covered listings, by title (load `awards` and their listings eagerly for lists)."""
        return sorted((x for award in self.awards for x in award.listings), key=lambda x: (x.title, x.id))

    @property
    def schedule(self) -> list[ScheduleItem]:
        """Every award's price schedule lines, in the order they were scheduled."""
        return sorted((line for award in self.awards for line in award.schedule), key=lambda line: line.id or 0)

    @property
    def remaining(self) -> Decimal:
        return self.ceiling - self.committed

    @property
    def renewals_left(self) -> int:
        return self.renewal_count - self.renewals_exercised

    def __repr__(self) -> str:
        return f"<Vehicle {self.number} {self.status}>"


class Award(Base):
    """One vendor awarded on a vehicle: the listings of that vendor it covers and their contract prices.
    A vehicle awards each vendor at most once; `position` keeps the order the office listed them in."""

    __tablename__ = "vehicle_award"
    __table_args__ = (UniqueConstraint("vehicle_id", "vendor_id", name="vehicle_vendor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    vehicle: Mapped[Vehicle] = relationship(back_populates="awards")
    vendor: Mapped[Organization] = relationship()
    listings: Mapped[list[Listing]] = relationship(secondary=award_listing, order_by="Listing.title")
    schedule: Mapped[list[ScheduleItem]] = relationship(
        back_populates="award", cascade="all, delete-orphan", order_by="ScheduleItem.id"
    )

    def __repr__(self) -> str:
        return f"<Award vehicle={self.vehicle_id} vendor={self.vendor_id}>"


class ScheduleItem(Base):
    """One line of an award's price schedule: a listing's price item at a contract price. It also names
    the vehicle, so a price item is scheduled at most once per vehicle (a unique constraint)."""

    __tablename__ = "schedule_item"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "price_item_id", name="vehicle_price_item"),
        CheckConstraint("contract_price > 0", name="positive_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), index=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("vehicle_award.id", ondelete="CASCADE"), index=True)
    price_item_id: Mapped[int] = mapped_column(ForeignKey("price_item.id"), index=True)
    contract_price: Mapped[Decimal] = mapped_column(Money())

    vehicle: Mapped[Vehicle] = relationship()
    award: Mapped[Award] = relationship(back_populates="schedule")
    price_item: Mapped[PriceItem] = relationship()

    @validates("award")
    def _on_the_awards_vehicle(self, key, award: Award | None) -> Award | None:
        """A line names the vehicle of its award (set when the line joins an award's schedule)."""
        if award is not None and award.vehicle is not None:
            self.vehicle = award.vehicle
        return award

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
