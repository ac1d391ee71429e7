"""The OCDS 1.1 release package of one consortium, built from loaded rows (pure functions: no database, no Flask).

How the marketplace maps onto OCDS:

- A **vehicle** is the first stage of a framework agreement procedure: one contracting process (its own `ocid`)
  whose `tender` is the solicitation the lead agency ran for the consortium, with one `award` per awarded vendor
  (its suppliers and the items of its price schedule at their contract prices) and one `contract` per award
  (value = the vehicle's ceiling, the contract period, the same items). The lead agency is the `buyer`, the
  consortium office the `procuringEntity`, members with an executed participating addendum are parties with the
  `buyer` role too (OCDS: "an entity whose budget will be used to pay for goods, works or services related to a
  contract"), and the vendors are `supplier`s.
- An **order** is a call-off: a contracting process of its own (its own `ocid`), linked to its vehicle's process by
  `relatedProcesses` with the relationship `framework` and the scheme `ocid`. This is the way the OCDS 1.1
  guidance on framework agreements and the OCDS profile for the WTO GPA model a procurement contract awarded
  under a framework agreement, and the only one that fits here: a release has a single `buyer`, and every order
  has its own (the member that placed it, not the lead agency); an order from an RFQ is a mini-competition, a
  procedure of its own (`selective`), while a direct order is `limited`; and the vehicle's release then stays
  the same while its orders come and go. The order's contract carries the not-to-exceed value, its lines as
  items, and one `implementation.transactions` entry per paid invoice (amount, USD, the paid date; payer and
  payee by who billed whom).

Amounts: OCDS wants `value.amount` as a JSON number. Money is a Decimal of whole cents, at most 14 significant
digits, so `amount()` returns an int for whole amounts and otherwise the float whose shortest representation
(what `json` writes) is exactly the Decimal's digits, and refuses any Decimal for which that is not true: the
JSON text carries the amount to the cent, never a binary rounding artefact such as 0.30000000000000004.

Release `id`s: the `ocid` plus a digest of the release's content (its date included), so the same content
always has the same id and any change gives a new one. A release's `date` is the latest audit event of the
objects it is made of (or their creation when they have none).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

OCDS_VERSION = "1.1"
CURRENCY = "USD"
DIGEST_CHARS = 16  # hex digits of the content digest in a release id

# Our statuses on OCDS codelists (tenderStatus, awardStatus, contractStatus).
VEHICLE_CONTRACT_STATUS = {"active": "active", "expired": "terminated", "terminated": "terminated"}
ORDER_TENDER_STATUS = {"submitted": "active", "pending_approval": "active"}  # else "complete"
ORDER_AWARD_STATUS = {"submitted": "pending", "pending_approval": "pending"}  # else "active"
ORDER_CONTRACT_STATUS = {"submitted": "pending", "pending_approval": "pending", "approved": "pending",
                         "active": "active", "completed": "terminated", "terminated": "terminated"}


@dataclass
class Published:
    """What the package of one consortium is built from (loaded by `queries.published`)."""

    consortium: object
    office: object | None
    vehicles: list
    orders: list
    paid_invoices: dict = field(default_factory=dict)  # {order id: [paid invoices]}
    competed_order_ids: set = field(default_factory=set)  # orders awarded from an RFQ
    last_changes: dict = field(default_factory=dict)  # {(object type, id): latest audit event time}


# --- values --------------------------------------------------------------------------------------------------


def amount(value: Decimal) -> int | float:
    """A Decimal as the JSON number with exactly its digits (see the module docstring); ValueError otherwise."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} cannot be written as an exact JSON number")
    return number


def money(value: Decimal) -> dict:
    return {"amount": amount(value), "currency": CURRENCY}


def timestamp(value: datetime) -> str:
    """An instant in UTC, to the second: 2026-11-22T17:03:05Z."""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_start(value: date, zone: ZoneInfo) -> str:
    """The start of a day in the consortium's zone, with its offset: 2026-01-01T00:00:00-07:00."""
    return datetime.combine(value, time(0, 0), tzinfo=zone).isoformat()


def day_end(value: date, zone: ZoneInfo) -> str:
    return datetime.combine(value, time(23, 59, 59), tzinfo=zone).isoformat()


def period(start: date | None, end: date | None, zone: ZoneInfo) -> dict | None:
    data = {}
    if start:
        data["startDate"] = day_start(start, zone)
    if end:
        data["endDate"] = day_end(end, zone)
    return data or None


def ocid_prefix(template: str, consortium_slug: str) -> str:
    """The configured prefix (`OCDS_OCID_PREFIX`) for one consortium: `{consortium}` becomes its slug."""
    return template.replace("{consortium}", consortium_slug)


def vehicle_ocid(prefix: str, vehicle) -> str:
    return f"{prefix}-vehicle-{vehicle.id}"


def order_ocid(prefix: str, order) -> str:
    return f"{prefix}-order-{order.id}"


# --- parties ------------------------------------------------------------------------------------------------


def party_id(org) -> str:
    return f"org-{org.id}"


def reference(org) -> dict:
    """An OrganizationReference: the party's id and name."""
    return {"id": party_id(org), "name": org.name}


class Parties:
    """The parties of one release, each once, with its roles in the order they were first given."""

    def __init__(self):
        self._by_id: dict[str, dict] = {}

    def add(self, org, *roles: str) -> dict:
        if org is None:
            return {}
        entry = self._by_id.setdefault(party_id(org), {"id": party_id(org), "name": org.name, "roles": []})
        entry["roles"].extend(role for role in roles if role not in entry["roles"])
        return reference(org)

    def as_list(self) -> list[dict]:
        return list(self._by_id.values())


# --- items -------------------------------------------------------------------------------------------------


def schedule_item(line) -> dict:
    """A price schedule line as an OCDS item: the price item, its unit and the contract price per unit."""
    price_item = line.price_item
    return {"id": f"schedule-{line.id}", "description": f"{price_item.name} ({price_item.listing.title})",
            "unit": {"name": price_item.unit, "value": money(line.contract_price)}}


def order_item(line) -> dict:
    return {"id": f"line-{line.id}", "description": line.description, "quantity": amount(line.quantity),
            "unit": {"name": line.unit, "value": money(line.unit_price)}}


def transaction(invoice, member, vendor, zone: ZoneInfo) -> dict:
    """A paid invoice as a payment on its paid date: who paid whom follows who billed whom."""
    payer, payee = (vendor, member) if invoice.is_revenue_share else (member, vendor)
    return {"id": invoice.reference, "date": day_start(invoice.paid_on, zone),
            "value": money(invoice.amount), "payer": reference(payer), "payee": reference(payee)}


# --- releases ------------------------------------------------------------------------------------------------


def _latest(*moments: datetime | None) -> datetime:
    known = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments if m is not None]
    return max(known)


def finish(release: dict, when: datetime) -> dict:
    """Add `date` and the content-derived `id` (see the module docstring), ocid first for readers."""
    release["date"] = timestamp(when)
    canonical = json.dumps(release, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:DIGEST_CHARS]
    return {"ocid": release["ocid"], "id": f"{release['ocid']}-{digest}", **release}


def vehicle_release(vehicle, data: Published, prefix: str, zone: ZoneInfo, today: date) -> dict:
    """The framework agreement: tender, one award and one contract per awarded vendor."""
    parties = Parties()
    buyer = parties.add(vehicle.lead_agency, "buyer")
    office = parties.add(data.office, "procuringEntity")
    for participation in vehicle.participations:
        if participation.status == "executed":
            parties.add(participation.member, "buyer")
    status = vehicle.effective_status(today)
    term = period(vehicle.start_date, vehicle.end_date, zone)
    awards, contracts = [], []
    for award in vehicle.awards:
        items = {"items": [schedule_item(line) for line in award.schedule]} if award.schedule else {}  # never []
        award_id = f"award-{award.id}"
        awards.append({"id": award_id, "title": f"{vehicle.title}: {award.vendor.name}", "status": "active",
                       "suppliers": [parties.add(award.vendor, "supplier")], **items, "contractPeriod": term,
                       **({"date": timestamp(vehicle.activated_at)} if vehicle.activated_at else {})})
        contracts.append({
            "id": f"{vehicle.number}-{award.id}", "awardID": award_id, "title": f"{vehicle.number}: {vehicle.title}",
            "description": "Master agreement with this vendor. The value is the vehicle's ceiling, shared by all of "
                           "its awards and by the orders placed under it: do not add it up across awards.",
            "status": "pending" if status == "active" and today < vehicle.start_date
            else VEHICLE_CONTRACT_STATUS[status],
            "value": money(vehicle.ceiling), "period": term, **items,
            **({"dateSigned": timestamp(vehicle.activated_at)} if vehicle.activated_at else {})})
    tender = {"id": vehicle.number, "title": vehicle.title, "status": "complete", "value": money(vehicle.ceiling),
              "procurementMethod": "open",
              "procurementMethodDetails": "Cooperative contract vehicle: a master agreement the lead agency awarded "
                                          "on behalf of the consortium's members",
              "contractPeriod": term}
    if office:
        tender["procuringEntity"] = office
    tags = ["tender", "award", "contract"] + (["contractTermination"] if status != "active" else [])
    when = _latest(vehicle.created_at, vehicle.activated_at, vehicle.terminated_at,
                   data.last_changes.get(("vehicle", vehicle.id)),
                   *(data.last_changes.get(("participation", p.id)) for p in vehicle.participations))
    if status == "expired":  # it changed when its term ran out, though no row did
        when = max(when, datetime.combine(vehicle.end_date, time(23, 59, 59), tzinfo=zone))
    release = {"ocid": vehicle_ocid(prefix, vehicle), "tag": tags, "initiationType": "tender", "language": "en",
               "parties": parties.as_list(), "buyer": buyer, "tender": tender, "awards": awards,
               "contracts": contracts}
    return finish(release, when)


def order_release(order, data: Published, prefix: str, zone: ZoneInfo) -> dict:
    """A call-off under the vehicle: its own process, linked to the vehicle's by `relatedProcesses`."""
    vehicle = order.vehicle
    invoices = data.paid_invoices.get(order.id, [])
    parties = Parties()
    buyer = parties.add(order.member, "buyer", "procuringEntity")
    supplier = parties.add(order.vendor, "supplier")
    for invoice in invoices:
        payer, payee = (order.vendor, order.member) if invoice.is_revenue_share else (order.member, order.vendor)
        parties.add(payer, "payer")
        parties.add(payee, "payee")
    items = [order_item(line) for line in order.lines]
    competed = order.id in data.competed_order_ids
    award_date = order.approved_at or order.submitted_at
    contract = {"id": order.reference, "awardID": f"{order.reference}-award",
                "title": f"{order.reference} under {vehicle.number}: {vehicle.title}",
                "status": ORDER_CONTRACT_STATUS[order.status], "value": money(order.value)}
    contract_period = period(order.delivery_start, order.delivery_end, zone)
    if contract_period:
        contract["period"] = contract_period
    if order.accepted_at:
        contract["dateSigned"] = timestamp(order.accepted_at)
    if items:
        contract["items"] = items
    if invoices:
        transactions = [transaction(i, order.member, order.vendor, zone) for i in invoices]
        contract["implementation"] = {"transactions": transactions}
    award = {"id": f"{order.reference}-award", "title": contract["title"],
             "status": ORDER_AWARD_STATUS.get(order.status, "active"), "value": money(order.value),
             "suppliers": [supplier], **({"items": items} if items else {}),
             **({"date": timestamp(award_date)} if award_date else {})}
    tender = {"id": order.reference, "title": contract["title"], "status": ORDER_TENDER_STATUS.get(order.status,
              "complete"), "procuringEntity": buyer, "value": money(order.value),
              "procurementMethod": "selective" if competed else "limited",
              "procurementMethodDetails": ("Mini-competition (RFQ) among the vendors awarded on the framework "
                                           "agreement" if competed else "Direct order under the framework agreement")}
    tags = ["tender", "award", "contract"] + (["implementation"] if invoices else []) \
        + (["contractTermination"] if order.status in ("completed", "terminated") else [])
    when = _latest(order.created_at, order.submitted_at, order.approved_at, order.accepted_at, order.closed_at,
                   data.last_changes.get(("order", order.id)),
                   *(data.last_changes.get(("invoice", i.id)) for i in invoices))
    release = {"ocid": order_ocid(prefix, order), "tag": tags, "initiationType": "tender", "language": "en",
               "parties": parties.as_list(), "buyer": buyer, "tender": tender, "awards": [award],
               "contracts": [contract],
               "relatedProcesses": [{"id": "1", "relationship": ["framework"], "title": vehicle.title,
                                     "scheme": "ocid", "identifier": vehicle_ocid(prefix, vehicle)}]}
    return finish(release, when)


def build_package(data: Published, *, ocid_template: str, uri: str, today: date) -> dict:
    """The release package: a release per published vehicle, then one per published order.

    `publishedDate` is the latest release date (the package is generated on demand, and OCDS asks for the date
    of the last change to its contents then). With nothing published `releases` is empty, which the schema
    refuses: the caller answers that case itself."""
    consortium = data.consortium
    zone = ZoneInfo(consortium.time_zone or "UTC")
    prefix = ocid_prefix(ocid_template, consortium.slug)
    releases = [vehicle_release(v, data, prefix, zone, today) for v in data.vehicles]
    releases += [order_release(o, data, prefix, zone) for o in data.orders]
    published_date = max((r["date"] for r in releases), default=None)
    return {"uri": uri, "version": OCDS_VERSION, "publishedDate": published_date,
            "publisher": {"name": consortium.name}, "releases": releases}
