"""RFQs: issuing, quoting (sealed), and the lifecycle that closes, awards or cancels them.

The RFQ lifecycle (every step through `marketplace.transitions.run`: locked re-read, state, predicate,
effects, audit):

    step    from          to         who                                   effects                    audit action
    close   open          closed     the member's buyers and approvers     only once quotes close     rfq.closed
                                                                           (409 before); opens them
    award   closed        awarded    the issuer or a member approver       a justification for        rfq.awarded
                                                                           anything but the lowest
                                                                           total or < 3 quotes; a
                                                                           draft order at the quoted
                                                                           prices, vendor = quote's
    cancel  open, closed  cancelled  the member's buyers and approvers     the reason (required)      rfq.cancelled

Issuing (`rfq.issued`) and quoting (`quote.submitted`, `quote.replaced`) are not state changes of the RFQ,
but a quote is written under the RFQ's row lock, like the close: a quote lands before the close or not at
all (409 once quotes have closed). The audit events of quotes carry no amounts: the audit log is read by
people who may not see a sealed quote. Services take the acting user, flush and raise; the caller commits.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from consortium.models import Consortium, User
from contracts.orders import services as orders
from contracts.sourcing import models as sourcing_models
from contracts.sourcing.rfqs import permissions as can
from contracts.sourcing.rfqs.models import (
    QUOTES_WITHOUT_JUSTIFICATION,
    RFQ_STATUSES,
    STATUS_LABELS,
    Quote,
    QuoteLine,
    Rfq,
    RfqLine,
)
from contracts.sourcing.rfqs.validation import clean_quote_data, clean_rfq_data
from contracts.vehicles.models import Vehicle
from marketplace import audit, transitions
from marketplace.db import utcnow
from marketplace.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import moment, money
from marketplace.inputs import REASON_LIMIT, clean_text, parse_id
from marketplace.templating import local_zone
from marketplace.transitions import Lifecycle, transition

ISSUERS = "Only buyers and approvers of a member city that may buy under the vehicle issue RFQs."
MEMBER_RUNS = "Only the issuing member's buyers and approvers run this RFQ."
AWARDERS = "Only the person who issued the RFQ, or an approver of the issuing member, awards it."
VENDORS_QUOTE = "Only the vendors awarded on the vehicle quote."


def zone_of(obj):
    return local_zone(db.session.get(Consortium, obj.consortium_id).time_zone)


def closes_text(rfq: Rfq) -> str:
    """When quotes close, for people: '1 Apr 2027, 5:00 PM MST' in the consortium's zone."""
    return moment(rfq.closes_at, zone_of(rfq))


def is_past_closing(rfq: Rfq) -> bool:
    return sourcing_models.now() >= rfq.closes_at


# --- the lifecycle --------------------------------------------------------------------------------------


def _after_closing_time(rfq: Rfq, ctx) -> None:
    if not is_past_closing(rfq):
        raise Conflict(f"Quotes are sealed until {closes_text(rfq)}: the RFQ can be closed after that.")
    rfq.closed_at = utcnow()


def _quote_count(rfq: Rfq) -> dict:
    return {"quotes": len(rfq.quotes)}


def justification_needed(rfq: Rfq, quote: Quote) -> str | None:
    """Why awarding `quote` needs a written justification (None when it does not): it is not the lowest
    total, or fewer than three quotes arrived."""
    lowest = min(q.total for q in rfq.quotes)
    if quote.total > lowest:
        return (f"This quote ({money(quote.total)}) is not the lowest total ({money(lowest)}): say why it is "
                "awarded.")
    if len(rfq.quotes) < QUOTES_WITHOUT_JUSTIFICATION:
        count = len(rfq.quotes)
        return (f"Only {count} quote{'s' if count != 1 else ''} arrived (fewer than "
                f"{QUOTES_WITHOUT_JUSTIFICATION}): say why the award is fair.")
    return None


def _award(rfq: Rfq, ctx) -> None:
    """Side effect of `award`: check the justification rule on the locked RFQ, then draft the order for the
    issuing member with the quote's lines at the quoted prices (the vendor is the quote's)."""
    quote = next((q for q in rfq.quotes if q.id == ctx["quote_id"]), None)
    if quote is None:
        raise ValidationFailed("Choose one of this RFQ's quotes.", {"quote_id": "Not a quote of this RFQ."})
    needed = justification_needed(rfq, quote)
    if needed and not ctx.reason:
        raise ValidationFailed(needed, {"justification": needed})
    data = {"vendor_id": quote.vendor_id, "po_number": "",
            "notes": f"Awarded from {rfq.reference}: {rfq.title}",
            "lines": [{"price_item_id": line.price_item_id, "quantity": str(line.quantity),
                       "unit_price": str(line.unit_price)} for line in quote.lines]}
    try:
        order = orders.create_order(vehicle=rfq.vehicle, data=data, actor=ctx.actor)
    except DomainError as err:  # the vehicle ended, the member left it, a contract price was lowered since
        details = " ".join(m for m in err.fields.values() if m not in err.message)
        raise Conflict(f"The quote can no longer be ordered under vehicle {rfq.vehicle.number}: "
                       f"{err.message} {details}".strip()) from err
    rfq.awarded_vendor_id, rfq.awarded_at, rfq.order_id = quote.vendor_id, utcnow(), order.id
    rfq.justification = ctx.reason


def _award_after(rfq: Rfq) -> dict:
    quote = rfq.awarded_quote
    return {"vendor_id": rfq.awarded_vendor_id, "quote_id": quote.id if quote else None,
            "total": str(quote.total) if quote else None, "order_id": rfq.order_id, "quotes": len(rfq.quotes)}


def _keep_reason(rfq: Rfq, ctx) -> None:
    rfq.status_reason = ctx.reason


RFQ_LIFECYCLE = Lifecycle(
    model=Rfq, noun="RFQ", states=RFQ_STATUSES, object_type="rfq",
    state_labels={k: v.lower() for k, v in STATUS_LABELS.items()},
    transitions=(
        transition("close", {"open"}, "closed", can.can_close_rfq, "rfq.closed", "closed", reason="none",
                   effects=(_after_closing_time,), audit_after=_quote_count, denied=MEMBER_RUNS),
        transition("award", {"closed"}, "awarded", can.can_award_rfq, "rfq.awarded", "awarded",
                   effects=(_award,), audit_after=_award_after, denied=AWARDERS),
        transition("cancel", {"open", "closed"}, "cancelled", can.can_cancel_rfq, "rfq.cancelled", "cancelled",
                   reason="required", reason_message="Say why the RFQ is cancelled: the vendors see it.",
                   effects=(_keep_reason,), denied=MEMBER_RUNS),
    ),
)


# --- issuing --------------------------------------------------------------------------------------------


def issue_blocker(vehicle: Vehicle, member) -> str | None:
    """Why this member cannot run a mini-competition under this vehicle now (None when it can)."""
    if not vehicle.is_multi_award:
        return (f"Vehicle {vehicle.number} awards a single vendor ({vehicle.vendor_names}): order from it "
                "directly; a mini-competition needs several awarded vendors.")
    try:
        orders.check_can_buy(vehicle, member)
    except DomainError as err:
        return err.message
    return None


def _content(rfq: Rfq) -> dict:
    return {"title": rfq.title, "vehicle_id": rfq.vehicle_id, "evaluation": rfq.evaluation,
            "closes_at": rfq.closes_at, "vendors": [award.vendor_id for award in rfq.vehicle.awards],
            "lines": [{"name": ln.name, "unit": ln.unit, "quantity": str(ln.quantity)} for ln in rfq.lines]}


def issue_rfq(vehicle: Vehicle, data: dict, *, actor: User) -> Rfq:
    """A member that may buy under a multi-award vehicle asks its awarded vendors for quotes; every one of
    them is told (`rfq.issued`)."""
    if not can.can_issue_rfq(actor, vehicle):
        raise PermissionDenied(ISSUERS)
    if not vehicle.is_multi_award:
        raise Conflict(issue_blocker(vehicle, actor.organization))
    orders.check_can_buy(vehicle, actor.organization)  # 403 for a member that has not joined, 409 out of term
    clean = clean_rfq_data(data, vehicle=vehicle, zone=zone_of(vehicle), now=sourcing_models.now())
    rfq = Rfq(consortium_id=vehicle.consortium_id, vehicle=vehicle, member_id=actor.organization_id,
              created_by=actor, title=clean["title"], description=clean["description"],
              evaluation=clean["evaluation"], closes_at=clean["closes_at"], status="open")
    rfq.lines = [RfqLine(position=i, **line) for i, line in enumerate(clean["lines"])]
    db.session.add(rfq)
    db.session.flush()
    audit.record(consortium_id=rfq.consortium_id, actor=actor, action="rfq.issued", obj=rfq, object_type="rfq",
                 after=_content(rfq))
    return rfq


# --- quoting --------------------------------------------------------------------------------------------


def quote_blocker(rfq: Rfq) -> str | None:
    """Why no quote can be submitted now (read on the locked RFQ by `submit_quote`)."""
    if rfq.status != "open":
        return f"This RFQ is {STATUS_LABELS[rfq.status].lower()}: quotes are no longer accepted."
    if is_past_closing(rfq):
        return f"Quotes closed at {closes_text(rfq)}: this quote is late and was not accepted."
    return None


def submit_quote(rfq: Rfq, data: dict, *, actor: User) -> tuple[Quote, bool]:
    """An awarded vendor quotes, or replaces its quote, while the RFQ is open and before it closes (409 after).
    Returns the quote and whether it is new. The RFQ's row is locked first, so a quote and the close never
    cross; the audit event records the version and line count, never the prices (the quote is sealed)."""
    if not can.can_quote(actor, rfq):
        raise PermissionDenied(VENDORS_QUOTE)
    rfq = transitions.lock(Rfq, rfq.id) or rfq
    blocker = quote_blocker(rfq)
    if blocker:
        raise Conflict(blocker)
    award = rfq.vehicle.award_of(actor.organization_id)
    clean = clean_quote_data(data, rfq=rfq, award=award)
    # Read afresh under the lock: a quote of this vendor committed while we waited is replaced, not doubled.
    quote = db.session.scalar(select(Quote).where(Quote.rfq_id == rfq.id, Quote.vendor_id == actor.organization_id)
                              .execution_options(populate_existing=True))
    created = quote is None
    if created:
        quote = Quote(consortium_id=rfq.consortium_id, rfq=rfq, vendor_id=actor.organization_id, version=1)
        db.session.add(quote)
    else:
        quote.lines.clear()
        db.session.flush()
        quote.version += 1
    quote.submitted_by, quote.note, quote.total = actor, clean["note"], clean["total"]
    quote.lines = [QuoteLine(rfq_line=line.rfq_line, schedule_item_id=line.item.id,
                             price_item_id=line.item.price_item_id, position=i, quantity=line.quantity,
                             unit_price=line.unit_price, total=line.total) for i, line in enumerate(clean["lines"])]
    db.session.flush()
    action = "quote.submitted" if created else "quote.replaced"
    audit.record(consortium_id=rfq.consortium_id, actor=actor, action=action, obj=quote, object_type="quote",
                 after={"rfq_id": rfq.id, "vendor_id": quote.vendor_id, "version": quote.version,
                        "lines": len(quote.lines)})
    return quote, created


# --- the steps --------------------------------------------------------------------------------------------


def close_rfq(rfq: Rfq, *, actor: User) -> Rfq:
    """Open the quotes once their closing time has passed (409 before): the member can compare them."""
    return transitions.run(RFQ_LIFECYCLE, rfq, "close", actor=actor)


def award_rfq(rfq: Rfq, data: dict, *, actor: User) -> Rfq:
    """Award a quote (`data`: {quote_id, justification?}); a justification is required for anything but the
    lowest total, or with fewer than three quotes. Makes the draft order at the quoted prices."""
    fields: dict[str, str] = {}
    data = data if isinstance(data, dict) else {}
    quote_id = parse_id(data.get("quote_id")) if not isinstance(data.get("quote_id"), bool) else None
    if quote_id is None:
        fields["quote_id"] = "Choose the quote to award."
    justification = clean_text(data.get("justification"), "justification", fields, limit=REASON_LIMIT)
    if fields:
        raise ValidationFailed("The award has problems to correct.", fields)
    return transitions.run(RFQ_LIFECYCLE, rfq, "award", actor=actor, reason=justification or None,
                           quote_id=quote_id)


def cancel_rfq(rfq: Rfq, *, actor: User, reason: str | None) -> Rfq:
    """Cancel an open or closed RFQ with the reason the vendors see; no order is made."""
    return transitions.run(RFQ_LIFECYCLE, rfq, "cancel", actor=actor, reason=reason)


def lowest_total(rfq: Rfq) -> Decimal | None:
    return min((q.total for q in rfq.quotes), default=None)
