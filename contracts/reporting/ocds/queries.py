"""Loading what the OCDS package publishes for one consortium, in a fixed number of queries.

Published means: vehicles past their draft (active, expired, terminated), orders past their draft that were not
declined or cancelled, and paid invoices of those orders. Every query names the consortium itself as well as
running under the tenant hook, so the package is the same from a request, the CLI or a test.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.listings.models import PriceItem
from consortium.models import Consortium, Organization
from contracts.invoices.models import Invoice
from contracts.orders.models import ORDER_STATUSES, Order, OrderLine
from contracts.reporting.ocds.services import Published
from contracts.sourcing.rfqs.models import Rfq
from contracts.vehicles.models import Award, Participation, ScheduleItem, Vehicle
from marketplace.audit import AuditEvent
from marketplace.extensions import db

PUBLISHED_VEHICLE_STATUSES = ("active", "terminated")  # "expired" is an active vehicle past its end date
UNPUBLISHED_ORDER_STATUSES = ("draft", "declined", "cancelled")
PUBLISHED_ORDER_STATUSES = tuple(s for s in ORDER_STATUSES if s not in UNPUBLISHED_ORDER_STATUSES)
# The audit trail's names of the objects a release is made of (their latest event dates the release).
AUDITED_TYPES = ("vehicle", "participation", "order", "invoice")

VEHICLE_OPTIONS = (
    selectinload(Vehicle.lead_agency),
    selectinload(Vehicle.participations).selectinload(Participation.member),
    selectinload(Vehicle.awards).options(
        selectinload(Award.vendor),
        selectinload(Award.schedule).selectinload(ScheduleItem.price_item).selectinload(PriceItem.listing)),
)
ORDER_OPTIONS = (selectinload(Order.member), selectinload(Order.vendor),
                 selectinload(Order.lines).selectinload(OrderLine.schedule_item))


def published_vehicles(consortium: Consortium) -> list[Vehicle]:
    stmt = (select(Vehicle).where(Vehicle.consortium_id == consortium.id,
                                  Vehicle.status.in_(PUBLISHED_VEHICLE_STATUSES))
            .options(*VEHICLE_OPTIONS).order_by(Vehicle.id))
    return list(db.session.scalars(stmt))


def published_orders(consortium: Consortium, vehicle_ids: list[int]) -> list[Order]:
    """Orders past their draft, neither declined nor cancelled, under the published vehicles."""
    if not vehicle_ids:
        return []
    stmt = (select(Order).where(Order.consortium_id == consortium.id, Order.vehicle_id.in_(vehicle_ids),
                                Order.status.in_(PUBLISHED_ORDER_STATUSES))
            .options(*ORDER_OPTIONS).order_by(Order.id))
    return list(db.session.scalars(stmt))


def paid_invoices(consortium: Consortium, order_ids: list[int]) -> dict[int, list[Invoice]]:
    """{order id: its paid invoices, by paid date and id}: both directions (a city's revenue-share invoice
    paid by the vendor is a payment under the contract too)."""
    result: dict[int, list[Invoice]] = {order_id: [] for order_id in order_ids}
    if not order_ids:
        return result
    stmt = (select(Invoice).where(Invoice.consortium_id == consortium.id, Invoice.order_id.in_(order_ids),
                                  Invoice.status == "paid")
            .order_by(Invoice.paid_on, Invoice.id))
    for invoice in db.session.scalars(stmt):
        result[invoice.order_id].append(invoice)
    return result


def competed_order_ids(consortium: Consortium) -> set[int]:
    """Orders created by awarding an RFQ (a mini-competition among the vehicle's vendors)."""
    stmt = select(Rfq.order_id).where(Rfq.consortium_id == consortium.id, Rfq.order_id.is_not(None))
    return set(db.session.scalars(stmt))


def last_changes(consortium: Consortium) -> dict[tuple[str, int], datetime]:
    """{(object type, id): when its latest audit event happened} for vehicles, participation, orders and
    invoices of the consortium (one grouped query)."""
    stmt = (select(AuditEvent.object_type, AuditEvent.object_id, func.max(AuditEvent.created_at))
            .where(AuditEvent.consortium_id == consortium.id, AuditEvent.object_type.in_(AUDITED_TYPES))
            .group_by(AuditEvent.object_type, AuditEvent.object_id))
    return {(kind, object_id): when for kind, object_id, when in db.session.execute(stmt)}


def office_of(consortium: Consortium) -> Organization | None:
    """The consortium office (the procuring entity of every vehicle)."""
    stmt = (select(Organization).where(Organization.consortium_id == consortium.id, Organization.kind == "office")
            .order_by(Organization.id).limit(1))
    return db.session.scalar(stmt)


def published(consortium: Consortium) -> Published:
    """Everything the package of `consortium` is built from."""
    vehicles = published_vehicles(consortium)
    orders = published_orders(consortium, [v.id for v in vehicles])
    return Published(
        consortium=consortium, office=office_of(consortium), vehicles=vehicles, orders=orders,
        paid_invoices=paid_invoices(consortium, [o.id for o in orders]),
        competed_order_ids=competed_order_ids(consortium), last_changes=last_changes(consortium),
    )
