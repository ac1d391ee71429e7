"""Loading RFQs for pages and the API alike (strangers get 404, never 403), what each person may see of the
quotes (the one place sealing is decided for reading), the comparison after the close, and the work queue.

Sealing, for every reader (pages, API, CSV): `sealed_view(rfq, user)` gives the quote count only to the
member and the office, every quote only to them and only after the close, and a vendor its own quote alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import abort, url_for
from sqlalchemy import exists, false, select
from sqlalchemy.orm import selectinload

from consortium.permissions import is_office_of
from contracts.sourcing import models as sourcing_models
from contracts.sourcing.rfqs import permissions as can
from contracts.sourcing.rfqs.models import Quote, QuoteLine, Rfq, RfqLine
from contracts.vehicles.models import Award, ScheduleItem, Vehicle
from marketplace.extensions import db
from marketplace.queue import QueueItem, provider
from marketplace.templating import local_zone
from marketplace.tenancy import get_or_404

RFQ_OPTIONS = (
    selectinload(Rfq.vehicle).selectinload(Vehicle.awards).options(
        selectinload(Award.vendor), selectinload(Award.schedule).selectinload(ScheduleItem.price_item)),
    selectinload(Rfq.member), selectinload(Rfq.created_by), selectinload(Rfq.awarded_vendor),
    selectinload(Rfq.lines),
    selectinload(Rfq.quotes).options(selectinload(Quote.vendor), selectinload(Quote.lines).options(
        selectinload(QuoteLine.price_item), selectinload(QuoteLine.schedule_item))),
)


def get_rfq_or_404(rfq_id) -> Rfq:
    """An RFQ of the current consortium (the tenant hook scopes the query), with what its page shows."""
    return get_or_404(Rfq, rfq_id, *RFQ_OPTIONS)


def visible_rfq_or_404(rfq_id, user) -> Rfq:
    """An RFQ `user` may see (its member, the vehicle's awarded vendors, the office), else 404."""
    rfq = get_rfq_or_404(rfq_id)
    if not can.can_view_rfq(user, rfq):
        abort(404)
    return rfq


def visible_rfqs_stmt(user, consortium):
    """The RFQs `user` may list: the office all of them, member staff their member's, a vendor those under
    vehicles that award it; nobody else any."""
    stmt = select(Rfq)
    if is_office_of(user, consortium.id):
        return stmt
    if user.role in ("buyer", "approver"):
        return stmt.where(Rfq.member_id == user.organization_id)
    if user.role == "vendor":
        return stmt.where(Rfq.vehicle_id.in_(select(Award.vehicle_id).where(Award.vendor_id == user.organization_id)))
    return stmt.where(false())


def rfqs_of_vehicle(vehicle: Vehicle, user, consortium) -> list[Rfq]:
    """The RFQs under `vehicle` that `user` may see, newest first (the vehicle page's panel)."""
    stmt = visible_rfqs_stmt(user, consortium).where(Rfq.vehicle_id == vehicle.id)
    return list(db.session.scalars(stmt.options(selectinload(Rfq.member), selectinload(Rfq.quotes))
                                   .order_by(Rfq.id.desc()).limit(50)))


# --- what a reader sees of the quotes ---------------------------------------------------------------------


@dataclass
class SealedView:
    """What one person may see of an RFQ's quotes: `count` (None: not for them), `quotes` (every quote, only
    after the close, for the member and the office; else empty), `own` (a vendor's own quote)."""

    count: int | None
    quotes: list[Quote] = field(default_factory=list)
    own: Quote | None = None
    can_compare: bool = False


def sealed_view(rfq: Rfq, user) -> SealedView:
    own = rfq.quote_of(user.organization_id) if getattr(user, "role", None) == "vendor" else None
    count = len(rfq.quotes) if can.can_see_quote_count(user, rfq) else None
    if can.can_see_quotes(user, rfq):
        return SealedView(count, sorted(rfq.quotes, key=lambda q: (q.total, q.id)), own, True)
    return SealedView(count, [], own, False)


@dataclass
class Comparison:
    """The quotes side by side after the close: one row per RFQ line with each quote's line, the totals,
    which quotes have the lowest total."""

    quotes: list[Quote]
    rows: list[tuple[RfqLine, list[QuoteLine | None]]]
    lowest: Decimal | None

    def is_lowest(self, quote: Quote) -> bool:
        return self.lowest is not None and quote.total == self.lowest


def comparison(rfq: Rfq, quotes: list[Quote]) -> Comparison:
    by_line = {quote.id: {line.rfq_line_id: line for line in quote.lines} for quote in quotes}
    rows = [(line, [by_line[quote.id].get(line.id) for quote in quotes]) for line in rfq.lines]
    return Comparison(quotes, rows, min((q.total for q in quotes), default=None))


# --- the work queue (marketplace.queue) --------------------------------------------------------------------


def _title(rfq: Rfq) -> str:
    return f"{rfq.reference} {rfq.title}"


@provider
def rfqs_waiting(user, consortium) -> list[QueueItem]:
    """A vendor: open RFQs under vehicles that award it, not yet quoted, until they close. The issuing
    member: RFQs whose quotes may be opened (closing time passed), and closed ones awaiting the award (for
    those who may award). One query each."""
    slug, now = consortium.slug, sourcing_models.now()
    zone = local_zone(consortium.time_zone)
    if user.role == "vendor":
        quoted = exists().where(Quote.rfq_id == Rfq.id, Quote.vendor_id == user.organization_id)
        invited = select(Award.vehicle_id).where(Award.vendor_id == user.organization_id)
        rows = db.session.scalars(select(Rfq).where(
            Rfq.consortium_id == consortium.id, Rfq.status == "open", Rfq.closes_at > now,
            Rfq.vehicle_id.in_(invited), ~quoted).order_by(Rfq.closes_at))
        return [QueueItem("quote_rfq", _title(rfq), "Quote before it closes", "rfq", rfq.id,
                          url_for("rfqs.quote", consortium_slug=slug, rfq_id=rfq.id), rfq.created_at,
                          due_on=rfq.closes_at.astimezone(zone).date()) for rfq in rows]
    if user.role not in ("buyer", "approver"):
        return []
    rows = db.session.scalars(select(Rfq).where(
        Rfq.consortium_id == consortium.id, Rfq.member_id == user.organization_id,
        ((Rfq.status == "open") & (Rfq.closes_at <= now)) | (Rfq.status == "closed")).order_by(Rfq.id))
    items = []
    for rfq in rows:
        url = url_for("rfqs.rfq", consortium_slug=slug, rfq_id=rfq.id)
        if rfq.status == "open" and can.can_close_rfq(user, rfq):
            items.append(QueueItem("close_rfq", _title(rfq), "Open the quotes: the RFQ has closed", "rfq", rfq.id,
                                   url, rfq.closes_at))
        elif rfq.status == "closed" and can.can_award_rfq(user, rfq):
            items.append(QueueItem("award_rfq", _title(rfq), "Compare the quotes and award", "rfq", rfq.id,
                                   url_for("rfqs.award", consortium_slug=slug, rfq_id=rfq.id),
                                   rfq.closed_at or rfq.closes_at))
    return items
