"""What is offered: listings with their price items and pending revisions.

The limits below are declared once: the columns, the forms (`Length(max=…)`), the API schemas
(`maxLength`, `maxItems`) and the validation read them from here (`tests/catalog/test_limits.py` checks
that they agree).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.models import Organization, User
from marketplace.categories import CATEGORIES  # noqa: F401 (re-exported: the catalog's categories)
from marketplace.db import Base, Money, TenantMixin, TimestampMixin, UTCDateTime, utcnow

PRICING_MODELS = {
    "purchase": "Purchase",
    "as_a_service": "As a service",
    "revenue_share": "Revenue share",
    "vendor_financed": "Vendor financed",
}

# --- lifecycles (the transition tables are in `catalog.listings.services`) ---------------------------

LISTING_STATUSES = ("draft", "submitted", "changes_requested", "published", "suspended", "withdrawn")
STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Awaiting approval",
    "changes_requested": "Changes requested",
    "published": "Published",
    "suspended": "Suspended",
    "withdrawn": "Withdrawn",
}
# A draft (or a listing returned for changes) is edited in place; a live one through a pending revision.
EDITABLE_DIRECTLY = ("draft", "changes_requested")
EDITABLE_BY_REVISION = ("published", "suspended")
REVISION_STATUSES = ("pending", "approved", "changes_requested", "superseded")

# --- limits --------------------------------------------------------------------------------------

TITLE_MAX = 200
SUMMARY_MAX = 500
DESCRIPTION_MAX = 20_000
CATEGORY_MAX = 30
STATUS_MAX = 20
MAX_TAGS, TAG_MAX = 20, 40
MAX_STANDARDS, STANDARD_MAX = 30, 80
MAX_PRICE_ITEMS = 50
ITEM_NAME_MAX = 200
ITEM_UNIT_MAX = 40
MAX_LIST_PRICE = Decimal("9999999999.99")
# The reviewable content of a listing, as the API takes it (plus `price_items`).
CONTENT_FIELDS = ("title", "summary", "description", "category", "tags", "pricing_models", "standards")


def _one_of(states) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in states) + ")"


class Listing(TenantMixin, TimestampMixin, Base):
    __tablename__ = "listing"
    __table_args__ = (
        CheckConstraint(_one_of(LISTING_STATUSES), name="status"),
        Index("ix_listing_consortium_status", "consortium_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    pricing_models: Mapped[list] = mapped_column(JSON, default=list)
    standards: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(STATUS_MAX), default="draft")
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
    name: Mapped[str] = mapped_column(String(ITEM_NAME_MAX))
    unit: Mapped[str] = mapped_column(String(ITEM_UNIT_MAX))
    list_price: Mapped[Decimal] = mapped_column(Money())
    position: Mapped[int] = mapped_column(default=0)
    is_retired: Mapped[bool] = mapped_column(default=False)

    listing: Mapped[Listing] = relationship(back_populates="price_items")


class ListingRevision(TenantMixin, TimestampMixin, Base):
    """A proposed change to a published listing; the approved version stays live until an admin
    approves it. `proposed` holds the whole new content (fields and price items)."""

    __tablename__ = "listing_revision"
    __table_args__ = (CheckConstraint(_one_of(REVISION_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id"), index=True)
    proposed: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(STATUS_MAX), default="pending")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)

    listing: Mapped[Listing] = relationship(back_populates="revisions")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


def listing_content(listing: Listing) -> dict:
    """The reviewable content of a listing, in the API's shape: what a revision proposes and the diff
    compares."""
    return {
        "title": listing.title,
        "summary": listing.summary,
        "description": listing.description or "",
        "category": listing.category,
        "tags": list(listing.tags or []),
        "pricing_models": list(listing.pricing_models or []),
        "standards": list(listing.standards or []),
        "price_items": [
            {"id": p.id, "name": p.name, "unit": p.unit, "list_price": str(p.list_price)}
            for p in listing.active_price_items
        ],
    }
