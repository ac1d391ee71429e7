"""Financing instruments and innovation funds: adding them, contributions, draws, and a fund's ledger.

Draws are decided under the fund's row lock (`marketplace.transitions.lock`: `SELECT … FOR UPDATE` with fresh
values on PostgreSQL; the serialized write transaction on SQLite): the balance is re-read after the lock, so
of two concurrent draws that together exceed it exactly one is made and the other gets 409 ("The fund has
$300,000.00 available; a draw of $350,000.00 is refused."). The financed order's row is locked too, so two
funds can never finance one order at once.

Repayments are computed when read, from the financed order's settlement (which is itself derived from the
verified observations and never stored): `fund_state` settles each financed order and applies DESIGN
section 5b's rule (`contracts.finance.repayments`). Nothing is recorded when a period is verified, so there is
no second copy of the savings that could drift from the settlement, and a balance always reconciles with the
settlements to the cent. A verified observation is final, so repayments only ever grow: a draw checked
against the balance can never be left uncovered by a later read.

Services flush and raise; the view or API call commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from consortium.models import Consortium, Organization, User
from consortium.planning.models import Need
from consortium.queries import local_date
from contracts.finance import permissions as can
from contracts.finance import repayments as fund_math
from contracts.finance.models import BOND_KINDS, SCHEDULE_KINDS, Contribution, Draw, FinancingInstrument, Fund
from contracts.finance.schedules import MiniBond, Schedule, amortize, mini_bond
from contracts.finance.validation import (
    clean_contribution_data,
    clean_draw_data,
    clean_financing_data,
    clean_fund_data,
    vendor_financing_data,
    vendor_financing_problems,
)
from contracts.observations import services as observations
from contracts.orders.models import STATUS_LABELS, Order
from marketplace import audit, transitions
from marketplace.errors import Conflict, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.numbers import to_cents

ZERO = Decimal("0.00")
# An order can be financed once it is going ahead: approved by the city, or accepted by the vendor.
FINANCEABLE_STATES = ("approved", "active")
# Financing is recorded on any order still alive (a draft may be planned with its financing).
CLOSED_TO_FINANCING = ("declined", "cancelled")
CREATE_FUNDS = "A member's approver opens funds for the member; the office's admins for the office or a member."


def fund_today(fund: Fund) -> date:
    """Today where the fund's consortium is (the observations' clock, which tests move)."""
    return local_date(db.session.get(Consortium, fund.consortium_id), observations.now())


# --- financing instruments ----------------------------------------------------------------------------


def _instrument_snapshot(inst: FinancingInstrument) -> dict:
    return audit.snapshot(inst, ["order_id", "need_id", "kind", "partner", "principal", "annual_rate", "years",
                                 "payments_per_year", "first_payment_on", "issue_price", "maturity_value", "units"])


def add_financing(order: Order, data: dict, *, actor: User) -> FinancingInstrument:
    """Record a financing instrument on an order (the order's city, or the consortium office)."""
    if not can.can_add_financing(actor, order):
        raise PermissionDenied("Only the order's city and the consortium office add financing to it.")
    if order.status in CLOSED_TO_FINANCING:
        raise Conflict(f"Order {order.reference} is {STATUS_LABELS[order.status].lower()}: it needs no financing.")
    clean = clean_financing_data(data)
    instrument = FinancingInstrument(consortium_id=order.consortium_id, order_id=order.id, created_by_id=actor.id,
                                     **clean)
    db.session.add(instrument)
    db.session.flush()
    audit.record(consortium_id=instrument.consortium_id, actor=actor, action=audit.FINANCING_ADDED, obj=instrument,
                 after=_instrument_snapshot(instrument))
    return instrument


def add_vendor_financing(order: Order, data: dict, *, actor: User) -> FinancingInstrument:
    """The vendor financing of an order drafted `vendor_financed` (the order form's block, saved with the draft):
    a `vendor_financing` instrument whose principal, left empty, is the order's value."""
    problems = vendor_financing_problems(data, order.value)
    if problems:
        raise ValidationFailed("The vendor financing has problems to correct.", problems)
    return add_financing(order, vendor_financing_data(data, order.value), actor=actor)


def order_vendor_financing(order: Order) -> FinancingInstrument | None:
    """The vendor-financing instrument an order carries (the first, if several were recorded)."""
    return db.session.scalar(select(FinancingInstrument).where(
        FinancingInstrument.order_id == order.id, FinancingInstrument.kind == "vendor_financing")
        .order_by(FinancingInstrument.id).limit(1))


def add_need_financing(need: Need, data: dict, *, actor: User) -> FinancingInstrument:
    """Record a financing instrument on a need (its city, or the consortium office): the roadmap totals these by
    funding source and fiscal year (`models.FUNDING_SOURCE_OF_KIND`)."""
    if not can.can_add_need_financing(actor, need):
        raise PermissionDenied("Only the need's city and the consortium office add financing to it.")
    clean = clean_financing_data(data)
    instrument = FinancingInstrument(consortium_id=need.consortium_id, need_id=need.id, created_by_id=actor.id,
                                     **clean)
    db.session.add(instrument)
    db.session.flush()
    audit.record(consortium_id=instrument.consortium_id, actor=actor, action=audit.FINANCING_ADDED, obj=instrument,
                 after=_instrument_snapshot(instrument))
    return instrument


def instrument_schedule(inst: FinancingInstrument) -> Schedule | None:
    """The level-payment schedule of a loan, vendor financing or lease (None for other kinds)."""
    if inst.kind not in SCHEDULE_KINDS:
        return None
    return amortize(inst.principal, inst.annual_rate, inst.years, inst.payments_per_year, inst.first_payment_on)


def instrument_bond(inst: FinancingInstrument) -> MiniBond | None:
    """A mini-bond's yield, proceeds and liability (None for other kinds)."""
    if inst.kind not in BOND_KINDS:
        return None
    return mini_bond(inst.issue_price, inst.maturity_value, inst.years, inst.units)


# --- funds ------------------------------------------------------------------------------------------


def create_fund(consortium: Consortium, data: dict, *, actor: User) -> Fund:
    """Open a fund for the member or the office named by `owner_id` (default: the person's own)."""
    if not can.can_create_funds(actor, consortium):
        raise PermissionDenied(CREATE_FUNDS)
    clean = clean_fund_data(data)
    owner_id = clean["owner_id"] or actor.organization_id
    owner = db.session.scalar(select(Organization).where(
        Organization.id == owner_id, Organization.consortium_id == consortium.id,
        Organization.kind.in_(("member", "office"))))
    if owner is None:
        raise ValidationFailed("The fund has problems to correct.",
                               {"owner_id": "Choose a member or the office of this consortium."})
    if not can.can_create_fund(actor, owner):
        raise PermissionDenied(CREATE_FUNDS)
    taken = db.session.scalar(select(Fund.id).where(Fund.owner_id == owner.id, Fund.name == clean["name"]))
    if taken is not None:
        raise ValidationFailed("The fund has problems to correct.",
                               {"name": f"{owner.name} already has a fund called {clean['name']}."})
    fund = Fund(consortium_id=consortium.id, name=clean["name"], owner_id=owner.id, created_by_id=actor.id)
    db.session.add(fund)
    db.session.flush()
    audit.record(consortium_id=fund.consortium_id, actor=actor, action=audit.FUND_CREATED, obj=fund,
                 object_type="fund", after={"name": fund.name, "owner_id": owner.id})
    return fund


def record_contribution(fund: Fund, data: dict, *, actor: User) -> Contribution:
    """Money put into the fund (by whoever runs it)."""
    fund = _locked(fund)
    if not can.can_contribute_to_fund(actor, fund):
        raise PermissionDenied(_runs_message(fund))
    clean = clean_contribution_data(data, today=fund_today(fund))
    contribution = Contribution(fund_id=fund.id, recorded_by_id=actor.id, **clean)
    db.session.add(contribution)
    db.session.flush()
    audit.record(consortium_id=fund.consortium_id, actor=actor, action=audit.FUND_CONTRIBUTION_RECORDED, obj=fund,
                 object_type="fund", after={"contribution_id": contribution.id, **clean,
                                            "balance": fund_state(fund).balance})
    return contribution


def draw_on_fund(fund: Fund, data: dict, *, actor: User, on: date | None = None) -> Draw:
    """Finance an order from the fund: at most the balance available, re-read under the fund's lock.
    `on` dates the draw (default today; the demo loader backdates its history)."""
    fund = _locked(fund)
    if not can.can_draw_on_fund(actor, fund):
        raise PermissionDenied(_runs_message(fund))
    clean = clean_draw_data(data)
    order = _financed_order(fund, clean["order_id"])
    available = fund_state(fund).balance
    if clean["amount"] > available:
        raise Conflict(f"The fund has {money(available)} available; a draw of {money(clean['amount'])} is refused.",
                       {"amount": f"At most {money(available)}."})
    draw = Draw(fund_id=fund.id, order_id=order.id, amount=clean["amount"], repayment_pct=clean["repayment_pct"],
                drawn_on=on or fund_today(fund), drawn_by_id=actor.id)
    db.session.add(draw)
    db.session.flush()
    audit.record(consortium_id=fund.consortium_id, actor=actor, action=audit.FUND_DRAWN, obj=fund,
                 object_type="fund", before={"balance": available},
                 after={"draw_id": draw.id, "order_id": order.id, "amount": draw.amount,
                        "repayment_pct": draw.repayment_pct, "balance": available - draw.amount})
    return draw


def _locked(fund: Fund) -> Fund:
    db.session.flush()
    fresh = transitions.lock(Fund, fund.id)
    if fresh is None:
        raise Conflict("This fund no longer exists.")
    return fresh


def _runs_message(fund: Fund) -> str:
    if fund.owner.kind == "office":
        return "Only the consortium office's admins run the office's fund."
    return f"Only {fund.owner.name}'s approver runs {fund.owner.name}'s fund."


def _financed_order(fund: Fund, order_id: int) -> Order:
    """The order a draw finances, locked: of the fund's consortium (and, for a member's fund, of the member),
    going ahead, and not financed by a draw yet."""
    order = db.session.scalar(select(Order).where(Order.id == order_id, Order.consortium_id == fund.consortium_id)
                              .execution_options(all_tenants=True))
    if order is None or (fund.owner.kind == "member" and order.member_id != fund.owner_id):
        whose = "this consortium" if fund.owner.kind == "office" else fund.owner.name
        raise ValidationFailed("The draw has problems to correct.",
                               {"order_id": f"No order TO-{order_id:06d} of {whose}."})
    order = transitions.lock(Order, order.id)
    if order.status not in FINANCEABLE_STATES:
        raise Conflict(f"Order {order.reference} is {STATUS_LABELS[order.status].lower()}: a fund finances "
                       "approved or active orders only.", {"order_id": "Not approved or active."})
    existing = db.session.scalar(select(Draw).where(Draw.order_id == order.id))
    if existing is not None:
        raise Conflict(f"Order {order.reference} is already financed by a draw of {money(existing.amount)} on "
                       f"{existing.fund.name}; an order is financed by one draw.", {"order_id": "Already financed."})
    return order


# --- the ledger (derived) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatedRepayment:
    period: int
    amount: Decimal
    on: date | None  # when the money came back: the period's end, or the draw's date if later


@dataclass
class DrawState:
    draw: Draw
    repayments: list[DatedRepayment]
    projected: list[DatedRepayment]  # from the terms' guarantees, for periods not settled yet
    repaid: Decimal = ZERO
    outstanding: Decimal = ZERO


@dataclass(frozen=True)
class LedgerRow:
    on: date
    kind: str  # contribution | draw | repayment
    description: str
    amount: Decimal  # signed: money in is positive
    balance: Decimal


@dataclass
class FundState:
    fund: Fund
    contributions: list[Contribution]
    draws: list[DrawState]
    contributed: Decimal = ZERO
    drawn: Decimal = ZERO
    repaid: Decimal = ZERO
    balance: Decimal = ZERO
    ledger: list[LedgerRow] = field(default_factory=list)

    @property
    def projected(self) -> Decimal:
        return sum((p.amount for d in self.draws for p in d.projected), ZERO)


def fund_state(fund: Fund) -> FundState:
    """Contributions, draws with what each has repaid (from its order's verified settlement), the balance and
    the ledger over time. Read fresh from the database each time (after the lock, it sees every commit)."""
    contributions = list(db.session.scalars(select(Contribution).where(Contribution.fund_id == fund.id)
                                            .order_by(Contribution.received_on, Contribution.id)))
    draws = list(db.session.scalars(select(Draw).where(Draw.fund_id == fund.id).order_by(Draw.drawn_on, Draw.id)
                                    .execution_options(populate_existing=True)))
    states = [draw_state(draw) for draw in draws]
    state = FundState(fund, contributions, states)
    state.contributed = sum((c.amount for c in contributions), ZERO)
    state.drawn = sum((d.amount for d in draws), ZERO)
    state.repaid = sum((s.repaid for s in states), ZERO)
    state.balance = fund_math.balance([state.contributed], [state.drawn], [state.repaid])
    state.ledger = _ledger(contributions, states)
    return state


def draw_state(draw: Draw) -> DrawState:
    """What one draw has repaid, period by period, and what the order's guarantees project for the rest."""
    order = db.session.scalar(select(Order).where(Order.id == draw.order_id).execution_options(all_tenants=True))
    settlement = observations.settlement_for(order)
    if settlement is None:
        return DrawState(draw, [], [], ZERO, draw.amount)
    data = settlement.to_json()
    ends = {row["period"]: date.fromisoformat(row["end_date"]) for row in data.get("periods", [])
            if row.get("end_date")}
    paid = fund_math.repayments(draw.amount, draw.repayment_pct, fund_math.city_amounts(data))
    dated = [DatedRepayment(r.period, r.amount, max(ends.get(r.period, draw.drawn_on), draw.drawn_on)) for r in paid]
    repaid = sum((r.amount for r in paid), ZERO)
    outstanding = draw.amount - repaid
    terms = observations.order_terms(order)
    settled = {a.period for a in fund_math.city_amounts(data)}
    remaining = [n for n in range(1, terms.periods + 1) if n not in settled]
    expected = fund_math.expected_city_amount(terms)
    projected = fund_math.projected_repayments(outstanding, draw.repayment_pct, remaining, expected)
    dates = {n: observations.order_period_dates(order, terms, n)[1] for n in (p.period for p in projected)}
    return DrawState(draw, dated, [DatedRepayment(p.period, p.amount, dates[p.period]) for p in projected],
                     repaid, outstanding)


# On one day: money in first, then draws, then repayments (a draw's repayment never shows before the draw).
_ORDER_OF_DAY = {"contribution": 0, "draw": 1, "repayment": 2}


def _ledger(contributions: list[Contribution], states: list[DrawState]) -> list[LedgerRow]:
    """Every movement in date order, with the balance after it."""
    moves = [(c.received_on, "contribution", c.id, f"Contribution: {c.source}", c.amount) for c in contributions]
    for s in states:
        ref = f"TO-{s.draw.order_id:06d}"
        moves.append((s.draw.drawn_on, "draw", s.draw.id, f"Draw financing {ref}", -s.draw.amount))
        moves += [(r.on, "repayment", s.draw.id * 10_000 + r.period, f"Repayment from {ref}, period {r.period}",
                   r.amount) for r in s.repayments]
    moves.sort(key=lambda m: (m[0], _ORDER_OF_DAY[m[1]], m[2]))
    rows, balance = [], ZERO
    for on, kind, _, description, amount in moves:
        balance = to_cents(balance + amount)
        rows.append(LedgerRow(on, kind, description, amount, balance))
    return rows


def fund_balance(fund: Fund) -> Decimal:
    """The balance available now (contributions − draws + repayments)."""
    return fund_state(fund).balance


def order_draw(order: Order) -> Draw | None:
    """The draw financing an order, if any."""
    return db.session.scalar(select(Draw).where(Draw.order_id == order.id))
