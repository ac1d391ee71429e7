"""Who is told about RFQs (DESIGN section 7, "Who is told what"), never a quote's price:

- an RFQ issued → the users of every vendor awarded on the vehicle;
- an RFQ closed → the person who issued it and the member's approvers (how many quotes arrived);
- an RFQ awarded → the winning vendor's users (a draft order follows) and the other quoting vendors' (not
  awarded); nobody learns another vendor's prices;
- an RFQ cancelled → the users of the vehicle's awarded vendors, with the reason.

A quote itself tells nobody: it is sealed until the close.
"""

from __future__ import annotations

from consortium import queries as people
from contracts.sourcing.rfqs.models import Rfq
from contracts.sourcing.rfqs.services import closes_text
from marketplace.notifications.events import on
from marketplace.notifications.services import notify

KIND = "rfq"


def _link(rfq: Rfq) -> str:
    return people.consortium_link(rfq.consortium_id, "rfqs.rfq", rfq_id=rfq.id)


def _users_of(vendor_ids) -> list:
    return [u for users in people.users_by_organization(vendor_ids).values() for u in users]


def _lines(rfq: Rfq) -> str:
    return "; ".join(f"{line.quantity.normalize():f} × {line.name} ({line.unit})" for line in rfq.lines)


@on("rfq.issued")
def rfq_issued(event, rfq: Rfq) -> None:
    vehicle = rfq.vehicle
    notify(_users_of([award.vendor_id for award in vehicle.awards]), kind=KIND,
           subject=f"Request for quotes under {vehicle.number}: {rfq.title}",
           body=(f"{rfq.member.name} runs a mini-competition among the vendors awarded on vehicle {vehicle.number} "
                 f"({rfq.reference}, evaluated on {rfq.evaluation_label.lower()}): {_lines(rfq)}. Quote each line "
                 f"with a price item of your schedule, at most at your contract price, before {closes_text(rfq)}. "
                 "Quotes are sealed until then: nobody else sees yours."),
           consortium_id=event.consortium_id, obj=rfq, actor=people.person(event.actor_id), link=_link(rfq))


@on("rfq.closed")
def rfq_closed(event, rfq: Rfq) -> None:
    count = len(rfq.quotes)
    notify([rfq.created_by, *people.approvers_of(rfq.member_id)], kind=KIND,
           subject=f"{rfq.reference} closed with {count} quote{'s' if count != 1 else ''}",
           body=(f"The quotes for “{rfq.title}” are open: compare them side by side and award one. Anything but "
                 "the lowest total, or fewer than three quotes, needs a written justification."),
           consortium_id=event.consortium_id, obj=rfq, actor=people.person(event.actor_id), link=_link(rfq))


@on("rfq.awarded")
def rfq_awarded(event, rfq: Rfq) -> None:
    actor = people.person(event.actor_id)
    winner = rfq.awarded_vendor
    notify(people.users_of(winner.id), kind=KIND, subject=f"Your quote for {rfq.reference} was awarded",
           body=(f"{rfq.member.name} awarded “{rfq.title}” to {winner.name}. It drafted an order at your quoted "
                 "prices; you will be told when it is approved."),
           consortium_id=event.consortium_id, obj=rfq, actor=actor, link=_link(rfq))
    others = [q.vendor_id for q in rfq.quotes if q.vendor_id != winner.id]
    notify(_users_of(others), kind=KIND, subject=f"{rfq.reference} was awarded to another vendor",
           body=f"{rfq.member.name} awarded “{rfq.title}” to another vendor. Thank you for quoting.",
           consortium_id=event.consortium_id, obj=rfq, actor=actor, link=_link(rfq))


@on("rfq.cancelled")
def rfq_cancelled(event, rfq: Rfq) -> None:
    reason = f" The reason given: “{event.reason}”" if event.reason else ""
    notify(_users_of([award.vendor_id for award in rfq.vehicle.awards]), kind=KIND,
           subject=f"{rfq.reference} “{rfq.title}” was cancelled",
           body=f"{rfq.member.name} cancelled the request for quotes under vehicle {rfq.vehicle.number}.{reason}",
           consortium_id=event.consortium_id, obj=rfq, actor=people.person(event.actor_id), link=_link(rfq))
