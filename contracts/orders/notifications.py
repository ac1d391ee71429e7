"""Who is told about orders (DESIGN section 7, "Who is told what").

- an order needs approval (above the member's approval limit) → the member's approvers, except the order's
  author;
- an order approved (at submit within the limit, or by the approver) → the vendor's users, who accept or
  decline it;
- an order accepted or declined → the order's author and the member's approvers.

The person who acted is never told of their own step (`notify` leaves the actor out).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from consortium import queries as people
from contracts.orders.models import Order
from marketplace.formats import day, money
from marketplace.notifications.events import on
from marketplace.notifications.services import notify


def order_name(order: Order) -> str:
    """"Order TO-000005 (PO MSA-2026-0311)", as a clerk looks it up."""
    po = f" (PO {order.po_number})" if order.po_number else ""
    return f"Order {order.reference}{po}"


def order_link(order: Order, **values) -> str:
    return people.consortium_link(order.consortium_id, "orders.order", order_id=order.id, **values)


def author_and_approvers(order: Order) -> list:
    """The order's author and the member's approvers (deduplicated by `notify`)."""
    return [order.created_by, *people.approvers_of(order.member_id)]


def _under(order: Order) -> str:
    return f"under vehicle {order.vehicle.number} with {order.vendor.name}"


@on("order.pending_approval")
def order_needs_approval(event, order: Order) -> None:
    member = order.member
    limit = money(member.approval_limit or Decimal("0"))
    approvers = [a for a in people.approvers_of(order.member_id) if a.id != order.created_by_id]
    notify(approvers, kind="order_approval",
           subject=f"{order_name(order)} needs your approval: {money(order.value)} is above {member.name}'s limit "
                   f"of {limit}",
           body=(f"{order.created_by.name} submitted {order_name(order)} {_under(order)} for {money(order.value)}. "
                 f"It is above {member.name}'s delegated approval limit of {limit}, so it waits for an approver: "
                 "approve it, or decline it with a reason (the commitment is then released)."),
           consortium_id=event.consortium_id, obj=order, actor=people.person(event.actor_id),
           link=order_link(order))


@on("order.approved")
def order_approved(event, order: Order) -> None:
    member = order.member
    if (event.before or {}).get("status") == "submitted":
        how = f"within {member.name}'s delegated approval limit, so it was approved on submission"
    else:
        approver = people.person(event.actor_id)
        how = f"approved by {approver.name if approver else 'the city'}"
    notify(people.users_of(order.vendor_id), kind="order_progress",
           subject=f"{order_name(order)} from {member.name} is approved: accept or decline it",
           body=(f"{member.name} placed {order_name(order)} {_under(order)} for {money(order.value)}; it is {how}. "
                 "Accept it to start the work, or decline it with a reason."),
           consortium_id=event.consortium_id, obj=order, actor=people.person(event.actor_id),
           link=order_link(order))


@on("order.accepted")
def order_accepted(event, order: Order) -> None:
    start = (order.performance or {}).get("start_date")
    periods = f" Its performance periods run from {day(date.fromisoformat(start))}." if start else ""
    notify(author_and_approvers(order), kind="order_progress",
           subject=f"{order.vendor.name} accepted {order_name(order)}",
           body=(f"{order.vendor.name} accepted {order_name(order)} under vehicle {order.vehicle.number} for "
                 f"{money(order.value)}: the order is active.{periods}"),
           consortium_id=event.consortium_id, obj=order, actor=people.person(event.actor_id),
           link=order_link(order))


@on("order.declined")
def order_declined(event, order: Order) -> None:
    actor = people.person(event.actor_id)
    by_vendor = actor is not None and actor.organization_id == order.vendor_id
    who = order.vendor.name if by_vendor or actor is None else f"{actor.name} of {order.member.name}"
    reason = f" The reason given: “{event.reason}”" if event.reason else ""
    notify(author_and_approvers(order), kind="order_progress",
           subject=f"{order_name(order)} was declined by {who}",
           body=(f"{who} declined {order_name(order)} {_under(order)} for {money(order.value)}.{reason} What it had "
                 f"committed against vehicle {order.vehicle.number} is released."),
           consortium_id=event.consortium_id, obj=order, actor=actor, link=order_link(order))
