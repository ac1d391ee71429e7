"""Sourcing's tables and the limits every layer (form, API schema, validation) reads.

RFIs: the request (issuer, problem, outcomes sought, category, MOU outline, responses due, linked needs), the
members' interest (one per member) and the vendors' responses (one per vendor, replaceable until due).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.listings.models import Listing
from consortium.models import Organization, User
from consortium.planning.models import Need
from marketplace.categories import CATEGORIES
from marketplace.db import Base, Money, TenantMixin, TimestampMixin, UTCDateTime, utcnow


def now() -> datetime:
    """Sourcing's clock (responses due, the close): tests move it with
    `monkeypatch.setattr(contracts.sourcing.models, "now", ...)`; callers read it as `models.now()`."""
    return datetime.now(UTC)


# --- RFIs -----------------------------------------------------------------------------------------------

RFI_STATUSES = ("draft", "open", "closed", "converted", "cancelled")
RFI_STATUS_LABELS = {"draft": "Draft", "open": "Open for responses", "closed": "Closed", "converted": "Converted",
                     "cancelled": "Cancelled"}
MOU_POINTS = {
    "roles": "Roles and responsibilities", "data_sharing": "Data sharing", "revenue_sharing": "Revenue sharing",
    "intellectual_property": "Intellectual property", "term": "Term",
}
POSITIONS = {"accept": "Accepts", "comment": "Comments"}
CONVERSIONS = ("pilot", "vehicle")

RFI_TITLE_MAX = 200
RFI_TEXT_MAX = 10_000
MOU_TEXT_MAX = 5000
MOU_COMMENT_MAX = 2000
INTEREST_NOTE_MAX = 2000
SUMMARY_MAX = 10_000
MAX_QUANTITY = 10_000_000
MAX_LINKED_NEEDS = 50

rfi_need = Table(
    "rfi_need",
    Base.metadata,
    Column("rfi_id", ForeignKey("rfi.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", ForeignKey("need.id"), primary_key=True, index=True),
)


class Rfi(TenantMixin, TimestampMixin, Base):
    """A request for information issued by a member (its approver) or the office, with the outline of the
    partnership MOU vendors answer point by point."""

    __tablename__ = "rfi"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'open', 'closed', 'converted', 'cancelled')", name="status"),
        Index("ix_rfi_consortium_status", "consortium_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(RFI_TITLE_MAX))
    problem: Mapped[str] = mapped_column(Text)
    outcomes: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30))
    responses_due: Mapped[datetime] = mapped_column(UTCDateTime())
    mou_outline: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    issuer: Mapped[Organization] = relationship()
    created_by: Mapped[User] = relationship()
    needs: Mapped[list[Need]] = relationship(secondary=rfi_need, order_by="Need.id")
    interests: Mapped[list[Interest]] = relationship(back_populates="rfi", order_by="Interest.id")
    conversion: Mapped[RfiConversion | None] = relationship(back_populates="rfi")

    @property
    def reference(self) -> str:
        return f"RFI-{self.id:05d}"

    @property
    def status_label(self) -> str:
        return RFI_STATUS_LABELS[self.status]

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def is_office_rfi(self) -> bool:
        return self.issuer.kind == "office"

    def is_due(self, at: datetime | None = None) -> bool:
        """Whether responses are no longer accepted (the due time has come)."""
        return (at or now()) >= self.responses_due


class Interest(TenantMixin, TimestampMixin, Base):
    """A member's indicative demand for what an RFI asks about (one per member, updatable while open)."""

    __tablename__ = "rfi_interest"
    __table_args__ = (
        UniqueConstraint("rfi_id", "member_id", name="rfi_member"),
        CheckConstraint("indicative_quantity >= 0", name="quantity"),
        CheckConstraint("indicative_budget >= 0", name="budget"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rfi_id: Mapped[int] = mapped_column(ForeignKey("rfi.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    indicative_quantity: Mapped[int] = mapped_column()
    indicative_budget: Mapped[Decimal] = mapped_column(Money())
    note: Mapped[str] = mapped_column(Text, default="")
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    rfi: Mapped[Rfi] = relationship(back_populates="interests")
    member: Mapped[Organization] = relationship()


class RfiResponse(TenantMixin, TimestampMixin, Base):
    """A vendor's answer to an RFI: summary, optional listing, pricing models, indicative price, and a position
    (`accept` | `comment`, with a comment) on each MOU point (`mou`). Seen only by its vendor, the issuer and
    the office."""

    __tablename__ = "rfi_response"
    __table_args__ = (
        UniqueConstraint("rfi_id", "vendor_id", name="rfi_vendor"),
        CheckConstraint("indicative_price > 0", name="indicative_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rfi_id: Mapped[int] = mapped_column(ForeignKey("rfi.id", ondelete="CASCADE"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    summary: Mapped[str] = mapped_column(Text)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id"))
    pricing_models: Mapped[list] = mapped_column(JSON, default=list)
    indicative_price: Mapped[Decimal] = mapped_column(Money())
    mou: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    rfi: Mapped[Rfi] = relationship()
    vendor: Mapped[Organization] = relationship()
    listing: Mapped[Listing | None] = relationship()

    @property
    def accepted_points(self) -> int:
        return sum(1 for point in (self.mou or {}).values() if point.get("position") == "accept")


class RfiConversion(TimestampMixin, Base):
    """What a closed RFI became: a recorded pilot hosted by the issuer, or a draft vehicle led by it, seeded
    from the chosen response. The interested members are kept here as the expected participants
    ([{member_id, member, indicative_quantity, indicative_budget}]), and written into the vehicle's notes."""

    __tablename__ = "rfi_conversion"
    __table_args__ = (
        UniqueConstraint("rfi_id", name="uq_rfi_conversion_rfi_id"),
        CheckConstraint("converted_into IN ('pilot', 'vehicle')", name="converted_into"),
        CheckConstraint("(converted_into = 'pilot' AND pilot_id IS NOT NULL AND vehicle_id IS NULL) OR "
                        "(converted_into = 'vehicle' AND vehicle_id IS NOT NULL AND pilot_id IS NULL)", name="target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rfi_id: Mapped[int] = mapped_column(ForeignKey("rfi.id"))
    response_id: Mapped[int] = mapped_column(ForeignKey("rfi_response.id"))
    converted_into: Mapped[str] = mapped_column(String(10))
    pilot_id: Mapped[int | None] = mapped_column(ForeignKey("pilot.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    expected_participants: Mapped[list] = mapped_column(JSON, default=list)
    converted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    rfi: Mapped[Rfi] = relationship(back_populates="conversion")
    response: Mapped[RfiResponse] = relationship()


class NeedOrder(TenantMixin, TimestampMixin, Base):
    """The order that fulfils a need (recorded by the need's city or the office): the need becomes `ordered`
    and the roadmap links the order."""

    __tablename__ = "need_order"
    __table_args__ = (UniqueConstraint("need_id", name="uq_need_order_need_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
