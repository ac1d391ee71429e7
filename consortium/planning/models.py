"""Needs, priority rounds and their candidates; the funding sources and the limits every layer (form, API
schema, validation) reads."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consortium.models import Organization, User
from marketplace.categories import CATEGORIES
from marketplace.db import Base, ExactDecimal, Money, TenantMixin, TimestampMixin, UTCDateTime, utcnow

NEED_STATUSES = ("draft", "submitted", "selected", "deferred", "sourcing", "piloting", "ordered")
NEED_STATUS_LABELS = {"draft": "Draft", "submitted": "Submitted", "selected": "Selected", "deferred": "Deferred",
                      "sourcing": "Sourcing (RFI)", "piloting": "Piloting", "ordered": "Ordered"}
# Needs other members see (DESIGN section 3: submitted needs are pooled across the consortium).
SHARED_STATUSES = NEED_STATUSES[1:]
# Needs a priority round has selected, and what they became since (the capital roadmap shows these).
ROADMAP_STATUSES = ("selected", "sourcing", "piloting", "ordered")
# Needs that may become a candidate of a priority round: submitted, or deferred by an earlier round.
CANDIDATE_STATUSES = ("submitted", "deferred")

FUNDING_SOURCES = {
    "budget": "Budget", "bond": "Bond", "mini_bond": "Mini-bond", "grant": "Grant", "fund": "Innovation fund",
    "vendor_financing": "Vendor financing", "ppp": "Public-private partnership", "revenue_share": "Revenue share",
    "tif": "Tax increment financing",
}
ROUND_STATUSES = ("open", "closed")
ROUND_STATUS_LABELS = {"open": "Open", "closed": "Closed"}
RATING_MIN, RATING_MAX = 1, 5

# Limits, declared once.
TITLE_MAX = 200
TEXT_MAX = 5000
CATEGORY_MAX = 30
FISCAL_YEAR_MIN, FISCAL_YEAR_MAX = 2000, 2100
MAX_FUNDING_LINES = len(FUNDING_SOURCES)
CRITERION_MAX = 80
MAX_CRITERIA = 10
WEIGHT_PLACES = 4
MAX_CANDIDATES = 200


def fiscal_year_of(day: date, start_month: int) -> int:
    """The fiscal year `day` falls in, named by the calendar year it ends in: with a July start, 1 Jul 2026 to
    30 Jun 2027 is fiscal year 2027; with a January start it is the calendar year."""
    return day.year + 1 if start_month > 1 and day.month >= start_month else day.year


def fiscal_year_span(year: int, start_month: int) -> tuple[date, date]:
    """The first and last day of fiscal year `year`."""
    first = date(year - 1 if start_month > 1 else year, start_month, 1)
    following = date(first.year + 1, start_month, 1)
    return first, date.fromordinal(following.toordinal() - 1)


class Need(TenantMixin, TimestampMixin, Base):
    """What a member city needs: a problem, its category, what it would cost and bring, the fiscal year it is
    wanted in and how it would be paid for (`funding`: [{source, amount}] with amounts as decimal text, never
    more in total than the estimated cost)."""

    __tablename__ = "need"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'submitted', 'selected', 'deferred', 'sourcing', 'piloting', "
                        "'ordered')", name="status"),
        CheckConstraint("estimated_cost > 0", name="estimated_cost"),
        CheckConstraint(f"fiscal_year >= {FISCAL_YEAR_MIN} AND fiscal_year <= {FISCAL_YEAR_MAX}",
                        name="fiscal_year"),
        Index("ix_need_consortium_status", "consortium_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    problem: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    estimated_cost: Mapped[Decimal] = mapped_column(Money())
    benefits: Mapped[str] = mapped_column(Text, default="")
    fiscal_year: Mapped[int] = mapped_column()
    funding: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    member: Mapped[Organization] = relationship()
    created_by: Mapped[User] = relationship()

    @property
    def reference(self) -> str:
        return f"N-{self.id:05d}"

    @property
    def status_label(self) -> str:
        return NEED_STATUS_LABELS[self.status]

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def funding_lines(self) -> list[tuple[str, Decimal]]:
        """The funding plan as (source, amount) pairs."""
        return [(line["source"], Decimal(line["amount"])) for line in self.funding or []]

    @property
    def funded(self) -> Decimal:
        return sum((amount for _, amount in self.funding_lines), Decimal("0.00"))

    @property
    def unfunded(self) -> Decimal:
        return self.estimated_cost - self.funded


class PriorityRound(TenantMixin, TimestampMixin, Base):
    """A member's (or, owned by the office, the region's) round: a fiscal year, a budget envelope, weighted
    criteria (`criteria`: [{name, weight}] with weights as decimal text summing to 1), candidate needs rated
    1–5 on each criterion. Closing ranks and selects (DESIGN section 5b) and stores the result on the
    candidates."""

    __tablename__ = "priority_round"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("budget > 0", name="budget"),
        CheckConstraint(f"fiscal_year >= {FISCAL_YEAR_MIN} AND fiscal_year <= {FISCAL_YEAR_MAX}",
                        name="fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    fiscal_year: Mapped[int] = mapped_column()
    budget: Mapped[Decimal] = mapped_column(Money())
    criteria: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    selected_total: Mapped[Decimal | None] = mapped_column(Money())
    remaining: Mapped[Decimal | None] = mapped_column(Money())

    owner: Mapped[Organization] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    candidates: Mapped[list[RoundCandidate]] = relationship(
        back_populates="round", order_by="RoundCandidate.id", cascade="all, delete-orphan")

    @property
    def reference(self) -> str:
        return f"PR-{self.id:04d}"

    @property
    def is_regional(self) -> bool:
        return self.owner.kind == "office"

    @property
    def criterion_names(self) -> list[str]:
        return [c["name"] for c in self.criteria or []]

    @property
    def status_label(self) -> str:
        return ROUND_STATUS_LABELS[self.status]


class RoundCandidate(Base):
    """A need in a round: its ratings ({criterion: 1..5}) and, once the round is closed, its score, rank,
    whether it was selected and, if deferred, why."""

    __tablename__ = "priority_round_need"
    __table_args__ = (
        UniqueConstraint("round_id", "need_id", name="round_need"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("priority_round.id", ondelete="CASCADE"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("need.id"), index=True)
    ratings: Mapped[dict] = mapped_column(JSON, default=dict)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    score: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    rank: Mapped[int | None] = mapped_column()
    is_selected: Mapped[bool | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)

    round: Mapped[PriorityRound] = relationship(back_populates="candidates")
    need: Mapped[Need] = relationship()
