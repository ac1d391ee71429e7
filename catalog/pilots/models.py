"""Pilot evidence: measured results of a member city's pilot, and what makes a listing proven.

The limits below are declared once: the columns, the form (`Length(max=…)`), the API schema
(`maxLength`, `maxItems`) and the validation read them from here (`tests/catalog/test_limits.py` checks
that they agree).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, exists, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.listings.models import CATEGORY_MAX, STATUS_MAX, Listing
from consortium.models import Organization, User
from marketplace.db import Base, Money, TenantMixin, TimestampMixin, UTCDateTime

OUTCOMES = {"met": "Met", "partially_met": "Partially met", "not_met": "Not met", "inconclusive": "Inconclusive"}
PILOT_STATUSES = ("recorded", "verified")
DIRECTIONS = {"higher": "Higher is better", "lower": "Lower is better"}
METRIC_FIELDS = ("kpi", "unit", "direction", "baseline", "target", "result")

# --- limits --------------------------------------------------------------------------------------

TITLE_MAX = 200
VENDOR_NAME_MAX = 200
UNITS_MAX = 200
AREA_MAX = 200
FINANCING_MAX = 200
LESSONS_MAX = 10_000
REFERENCES_MAX = 5_000
OUTCOME_MAX = 20
JUSTIFICATION_MAX = 1_000
KPI_MAX = 80
METRIC_UNIT_MAX = 40
MAX_METRICS = 20
MAX_COST = Decimal("9999999999.99")
# The text limits by field name, for the validation and the API schema.
TEXT_LIMITS = {"title": TITLE_MAX, "vendor_name": VENDOR_NAME_MAX, "units": UNITS_MAX, "area": AREA_MAX,
               "financing": FINANCING_MAX, "lessons": LESSONS_MAX, "references": REFERENCES_MAX,
               "justification": JUSTIFICATION_MAX}


class Pilot(TenantMixin, TimestampMixin, Base):
    """Measured evidence from a member city. A pilot may name a vendor not yet on the marketplace
    (`vendor_name`); an admin links it to that vendor's listing once it is published."""

    __tablename__ = "pilot"
    __table_args__ = (
        CheckConstraint("status IN ('recorded', 'verified')", name="status"),
        CheckConstraint("outcome IN ('met', 'partially_met', 'not_met', 'inconclusive')", name="outcome"),
        CheckConstraint("derived_outcome IN ('met', 'partially_met', 'not_met', 'inconclusive')",
                        name="derived_outcome"),
        CheckConstraint("end_date >= start_date", name="dates"),
        Index("ix_pilot_listing_status", "listing_id", "status", "derived_outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listing.id"), index=True)
    vendor_name: Mapped[str | None] = mapped_column(String(VENDOR_NAME_MAX))
    host_member_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    units: Mapped[str] = mapped_column(String(UNITS_MAX), default="")
    area: Mapped[str] = mapped_column(String(AREA_MAX), default="")
    cost: Mapped[Decimal | None] = mapped_column(Money())
    financing: Mapped[str] = mapped_column(String(FINANCING_MAX), default="")
    metrics: Mapped[list] = mapped_column(JSON, default=list)
    # "|energy use|availability|": the metrics' KPI names, lower-cased, for a portable LIKE filter
    kpi_index: Mapped[str] = mapped_column(Text, default="")
    # The outcome as stated by the recorder; it equals `derived_outcome` unless a justification says why not
    # (rows from before outcomes were derived may differ without one: the pages say so).
    outcome: Mapped[str] = mapped_column(String(OUTCOME_MAX))
    # Derived from the metrics (DESIGN section 4), stored so "proven" is one indexed SQL condition.
    derived_outcome: Mapped[str] = mapped_column(String(OUTCOME_MAX), default="inconclusive",
                                                 server_default="inconclusive")
    justification: Mapped[str | None] = mapped_column(Text)
    lessons: Mapped[str] = mapped_column(Text, default="")
    references: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(STATUS_MAX), default="recorded")
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
    def derived_outcome_label(self) -> str:
        return OUTCOMES.get(self.derived_outcome, self.derived_outcome)

    @property
    def outcome_differs(self) -> bool:
        """Whether the recorder stated another outcome than the metrics give."""
        return self.outcome != self.derived_outcome

    @property
    def proves_listing(self) -> bool:
        """The Python twin of `proven_clause`: verified, and the metrics (not the recorder) say `met`."""
        return self.status == "verified" and self.derived_outcome == "met"

    @property
    def vendor_display(self) -> str:
        if self.listing is not None:
            return self.listing.vendor.name
        return self.vendor_name or "—"


def proves_listing():
    """SQL: this pilot proves its listing: it is verified and its *derived* outcome is `met` (DESIGN:
    "proven"). A stated outcome, justified or not, never proves a listing."""
    return (Pilot.status == "verified") & (Pilot.derived_outcome == "met")


def proven_clause():
    """SQL: the listing has a pilot that proves it (`proves_listing`)."""
    return exists(select(Pilot.id).where(Pilot.listing_id == Listing.id, proves_listing()))


def kpi_index(metrics: Iterable[dict]) -> str:
    """The KPI names, lower-cased, between bars ("|energy use|availability|"), for a portable LIKE filter."""
    return "|" + "|".join(m["kpi"].lower() for m in metrics) + "|"


def _number(raw) -> Decimal | None:
    """A stored metric number ("97.5"); a missing result is None (or "" in rows typed before results
    became optional)."""
    return None if raw is None or raw == "" else Decimal(str(raw))


@dataclass(frozen=True)
class MetricResult:
    kpi: str
    unit: str
    direction: str
    baseline: Decimal
    target: Decimal
    result: Decimal | None

    @property
    def measured(self) -> bool:
        return self.result is not None

    @property
    def met(self) -> bool | None:
        """Whether the result reached the target, in the metric's direction; None without a result."""
        if self.result is None:
            return None
        return self.result >= self.target if self.direction == "higher" else self.result <= self.target

    @property
    def change(self) -> Decimal | None:
        return None if self.result is None else self.result - self.baseline


def metric_result(metric: dict) -> MetricResult:
    """One metric (clean input or a stored row) as exact numbers."""
    return MetricResult(kpi=metric["kpi"], unit=metric.get("unit") or "", direction=metric["direction"],
                        baseline=Decimal(str(metric["baseline"])), target=Decimal(str(metric["target"])),
                        result=_number(metric.get("result")))


def metric_results(pilot: Pilot) -> list[MetricResult]:
    """The pilot's metrics as exact numbers, each knowing whether it met its target."""
    return [metric_result(m) for m in pilot.metrics or []]


def derive_outcome(metrics: Iterable[dict]) -> str:
    """The outcome the metrics give (DESIGN section 4): every result reaches its target → `met`; some →
    `partially_met`; none → `not_met`; no results at all (metrics without results, or no metrics) →
    `inconclusive`. A metric without a result is not counted either way. Pure: clean metric dicts in
    (`{direction, target, result, …}`), one of OUTCOMES out."""
    reached = [m.met for m in map(metric_result, metrics) if m.measured]
    if not reached:
        return "inconclusive"
    if all(reached):
        return "met"
    return "partially_met" if any(reached) else "not_met"
