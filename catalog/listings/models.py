"""What is offered: listings with price items and pending revisions, and pilot evidence."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, exists, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.models import Organization, User
from marketplace.db import Base, Money, TenantMixin, TimestampMixin, UTCDateTime, utcnow

CATEGORIES = {
    "lighting": "Lighting",
    "parking": "Parking",
    "mobility": "Mobility",
    "water": "Water",
    "energy": "Energy",
    "ev_charging": "EV charging",
    "connectivity": "Connectivity",
    "public_safety": "Public safety",
    "environment": "Environment",
    "waste": "Waste",
    "buildings": "Buildings",
    "data_platforms": "Data platforms",
}
PRICING_MODELS = {
    "purchase": "Purchase",
    "as_a_service": "As a service",
    "revenue_share": "Revenue share",
    "vendor_financed": "Vendor financed",
}
LISTING_STATUSES = ("draft", "submitted", "changes_requested", "published", "suspended", "withdrawn")
OUTCOMES = {"met": "Met", "partially_met": "Partially met", "not_met": "Not met", "inconclusive": "Inconclusive"}
PILOT_STATUSES = ("recorded", "verified")


class Listing(TenantMixin, TimestampMixin, Base):
    __tablename__ = "listing"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'submitted', 'changes_requested', 'published', 'suspended', 'withdrawn')",
            name="status",
        ),
        Index("ix_listing_consortium_status", "consortium_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(30))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    pricing_models: Mapped[list] = mapped_column(JSON, default=list)
    standards: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    status_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    vendor: Mapped[Organization] = relationship()
    price_items: Mapped[list[PriceItem]] = relationship(
        back_populates="listing", order_by="PriceItem.position", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[ListingRevision]] = relationship(
        back_populates="listing", order_by="ListingRevision.id", cascade="all, delete-orphan"
    )

    @property
    def active_price_items(self) -> list[PriceItem]:
        return [p for p in self.price_items if not p.is_retired]

    @property
    def pending_revision(self) -> ListingRevision | None:
        pending = [r for r in self.revisions if r.status == "pending"]
        return pending[-1] if pending else None

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.status} {self.title!r}>"


class PriceItem(Base):
    """A priced unit of a listing. Ids stay stable across revisions (vehicles refer to them);
    an item dropped from a published listing is retired, not deleted."""

    __tablename__ = "price_item"
    __table_args__ = (CheckConstraint("list_price > 0", name="positive_price"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    list_price: Mapped[Decimal] = mapped_column(Money())
    position: Mapped[int] = mapped_column(default=0)
    is_retired: Mapped[bool] = mapped_column(default=False)

    listing: Mapped[Listing] = relationship(back_populates="price_items")


class ListingRevision(TenantMixin, TimestampMixin, Base):
    """A proposed change to a published listing; the approved version stays live until an admin
    approves it. `proposed` holds the whole new content (fields and price items)."""

    __tablename__ = "listing_revision"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'changes_requested', 'superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    proposed: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)

    listing: Mapped[Listing] = relationship(back_populates="revisions")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class Pilot(TenantMixin, TimestampMixin, Base):
    """Measured evidence from a member city. A pilot may name a vendor not yet on the marketplace
    (`vendor_name`); an admin links it to that vendor's listing once it is published."""

    __tablename__ = "pilot"
    __table_args__ = (
        CheckConstraint("status IN ('recorded', 'verified')", name="status"),
        CheckConstraint("outcome IN ('met', 'partially_met', 'not_met', 'inconclusive')", name="outcome"),
        CheckConstraint("end_date >= start_date", name="dates"),
        Index("ix_pilot_listing_status", "listing_id", "status", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id"), index=True)
    vendor_name: Mapped[str | None] = mapped_column(String(200))
    host_member_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    units: Mapped[str] = mapped_column(String(200), default="")
    area: Mapped[str] = mapped_column(String(200), default="")
    cost: Mapped[Decimal | None] = mapped_column(Money())
    financing: Mapped[str] = mapped_column(String(200), default="")
    metrics: Mapped[list] = mapped_column(JSON, default=list)
    # "|energy use|availability|": the metrics' KPI names, lower-cased, for a portable LIKE filter
    kpi_index: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(20))
    lessons: Mapped[str] = mapped_column(Text, default="")
    references: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="recorded")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    listing: Mapped[Listing | None] = relationship()
    host_member: Mapped[Organization] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    @property
    def is_verified(self) -> bool:
        return self.status == "verified"

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)

    @property
    def vendor_display(self) -> str:
        if self.listing is not None:
            return self.listing.vendor.name
        return self.vendor_name or "—"


def proven_clause():
    """SQL: the listing has a verified pilot whose outcome is `met` (DESIGN: "proven")."""
    return exists(
        select(Pilot.id).where(Pilot.listing_id == Listing.id, Pilot.status == "verified", Pilot.outcome == "met")
    )
