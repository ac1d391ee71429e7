"""Loading needs, rounds and roadmaps for pages and the API alike (strangers get 404, never 403); pooled demand;
the capital roadmap; the work queue's rounds; and the ports through which the catalog and the contracts add to
a need what planning cannot import (dependencies point contracts → catalog → consortium)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import abort, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from consortium.context import belongs, current_consortium
from consortium.models import Consortium, Organization
from consortium.permissions import is_office_of
from consortium.planning import permissions as can
from consortium.planning.models import (
    FISCAL_YEAR_MAX,
    FISCAL_YEAR_MIN,
    FUNDING_SOURCES,
    NEED_STATUSES,
    ROADMAP_STATUSES,
    SHARED_STATUSES,
    Need,
    PriorityRound,
    RoundCandidate,
    fiscal_year_span,
)
from marketplace.categories import CATEGORIES
from marketplace.errors import PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.inputs import parse_id
from marketplace.queue import QueueItem, provider
from marketplace.tenancy import get_or_404

ZERO = Decimal("0.00")


# --- ports: what other domains add to a need ---------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of a need: an RFI, a pilot, a vehicle or an order linked to it, with its status and page."""

    kind: str  # rfi | pilot | vehicle | order
    label: str
    status: str
    url: str


@dataclass(frozen=True)
class NeedFinance:
    """A financing instrument recorded on a need, as the roadmap counts it: an amount from a funding source."""

    need_id: int
    source: str  # a FUNDING_SOURCES key
    amount: Decimal
    label: str
    url: str


# Callables (need) -> Markup: sections of the need page (financing, RFIs and orders).
NEED_PANELS: list[Callable] = []
# Callables (needs) -> {need_id: [Outcome]}: what became of each need (RFIs, pilots, vehicles, orders).
NEED_OUTCOMES: list[Callable[[Sequence[Need]], dict[int, list[Outcome]]]] = []
# Callables (needs) -> [NeedFinance]: the financing instruments recorded on the needs.
NEED_FINANCING: list[Callable[[Sequence[Need]], list[NeedFinance]]] = []


def outcomes_of(needs: Sequence[Need]) -> dict[int, list[Outcome]]:
    found: dict[int, list[Outcome]] = defaultdict(list)
    for port in NEED_OUTCOMES:
        for need_id, items in port(needs).items():
            found[need_id] += items
    return found


def financing_of(needs: Sequence[Need]) -> list[NeedFinance]:
    return [item for port in NEED_FINANCING for item in port(needs)]


# --- loading --------------------------------------------------------------------------------------------


def in_consortium() -> None:
    """401 for nobody signed in; 404 for anyone who does not work in the current consortium."""
    if not current_user.is_authenticated:
        abort(401)
    if current_consortium() is None or not belongs(current_user):
        abort(404)


def visible_needs_stmt(user):
    """Needs the person may see: the office sees all; members their own and everyone's past the draft."""
    stmt = select(Need)
    if is_office_of(user, current_consortium().id):
        return stmt
    if user.role in ("buyer", "approver"):
        return stmt.where((Need.member_id == user.organization_id) | Need.status.in_(SHARED_STATUSES))
    return stmt.where(Need.id.is_(None))  # vendors see no needs


def get_need_or_404(need_id) -> Need:
    in_consortium()
    need = get_or_404(Need, need_id)
    if not can.can_view_need(current_user, need):
        abort(404)
    return need


def get_round_or_404(round_id) -> PriorityRound:
    in_consortium()
    round_ = get_or_404(PriorityRound, round_id)
    if not can.can_view_round(current_user, round_):
        abort(404)
    return round_


def visible_rounds(user) -> list[PriorityRound]:
    """The rounds the person may see, newest first: their member's and the regional ones (all, for the office)."""
    stmt = select(PriorityRound).options(joinedload(PriorityRound.owner)).order_by(PriorityRound.id.desc())
    if not is_office_of(user, current_consortium().id):
        office = select(Organization.id).where(Organization.kind == "office")
        stmt = stmt.where((PriorityRound.owner_id == user.organization_id) | PriorityRound.owner_id.in_(office))
    return list(db.session.scalars(stmt))


def candidate_choices(round_: PriorityRound) -> list[Need]:
    """Needs the round could take: submitted or deferred, of the owner (any member's for a regional round),
    not already candidates of an open round."""
    taken = select(RoundCandidate.need_id).join(PriorityRound).where(PriorityRound.status == "open")
    stmt = select(Need).where(Need.status.in_(("submitted", "deferred")), Need.id.not_in(taken)) \
        .options(joinedload(Need.member)).order_by(Need.fiscal_year, Need.id)
    if not round_.is_regional:
        stmt = stmt.where(Need.member_id == round_.owner_id)
    return list(db.session.scalars(stmt))


# --- pooled demand --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Demand:
    category: str
    label: str
    needs: int
    members: int
    total: Decimal


def pooled_demand() -> list[Demand]:
    """Per category, the needs every member has put forward (past the draft): how many, from how many members,
    and their total estimated cost. One query."""
    rows = db.session.execute(
        select(Need.category, func.count(Need.id), func.count(func.distinct(Need.member_id)),
               func.sum(Need.estimated_cost))
        .where(Need.status.in_(SHARED_STATUSES)).group_by(Need.category).order_by(Need.category)).all()
    demand = [Demand(cat, CATEGORIES.get(cat, cat), n, members, total) for cat, n, members, total in rows]
    return sorted(demand, key=lambda d: (-d.total, d.label))


# --- the capital roadmap -------------------------------------------------------------------------------


@dataclass
class RoadmapNeed:
    need: Need
    financing: list[NeedFinance]
    outcomes: list[Outcome]


@dataclass
class RoadmapYear:
    fiscal_year: int
    start: date
    end: date
    needs: list[RoadmapNeed] = field(default_factory=list)
    planned: dict[str, Decimal] = field(default_factory=dict)  # funding plans by source
    financed: dict[str, Decimal] = field(default_factory=dict)  # instruments recorded by source
    cost: Decimal = ZERO

    @property
    def planned_total(self) -> Decimal:
        return sum(self.planned.values(), ZERO)

    @property
    def financed_total(self) -> Decimal:
        return sum(self.financed.values(), ZERO)


@dataclass
class Roadmap:
    member: Organization
    start_month: int
    years: list[RoadmapYear]
    planned: dict[str, Decimal]
    financed: dict[str, Decimal]
    cost: Decimal

    @property
    def sources(self) -> list[str]:
        """The funding sources that appear in a plan or an instrument, in DESIGN's order."""
        return [s for s in FUNDING_SOURCES if s in self.planned or s in self.financed]

    @property
    def planned_total(self) -> Decimal:
        return sum(self.planned.values(), ZERO)

    @property
    def financed_total(self) -> Decimal:
        return sum(self.financed.values(), ZERO)


def _add(totals: dict[str, Decimal], source: str, amount: Decimal) -> None:
    totals[source] = totals.get(source, ZERO) + amount


def roadmap(member: Organization, consortium: Consortium) -> Roadmap:
    """The member's selected needs (and those gone on to an RFI, a pilot or an order) by fiscal year: the
    funding plans by source with totals per year and per source, the financing instruments recorded on them
    (by source and year), and what became of each need."""
    needs = list(db.session.scalars(select(Need).where(Need.member_id == member.id,
                                                       Need.status.in_(ROADMAP_STATUSES))
                                    .order_by(Need.fiscal_year, Need.id)))
    financing = defaultdict(list)
    for item in financing_of(needs):
        financing[item.need_id].append(item)
    outcomes = outcomes_of(needs)
    start_month = consortium.fiscal_year_start_month
    years: dict[int, RoadmapYear] = {}
    planned: dict[str, Decimal] = {}
    financed: dict[str, Decimal] = {}
    for need in needs:
        year = years.get(need.fiscal_year)
        if year is None:
            year = years[need.fiscal_year] = RoadmapYear(need.fiscal_year, *fiscal_year_span(need.fiscal_year,
                                                                                               start_month))
        year.needs.append(RoadmapNeed(need, financing.get(need.id, []), outcomes.get(need.id, [])))
        year.cost += need.estimated_cost
        for source, amount in need.funding_lines:
            _add(year.planned, source, amount)
            _add(planned, source, amount)
        for item in financing.get(need.id, []):
            _add(year.financed, item.source, item.amount)
            _add(financed, item.source, item.amount)
    ordered = [years[y] for y in sorted(years)]
    return Roadmap(member, start_month, ordered, planned, financed, sum((y.cost for y in ordered), ZERO))


def roadmap_member_or_404(member_id) -> Organization:
    """The member whose roadmap is asked for (default: the person's own), if the person may see it."""
    in_consortium()
    if member_id in (None, ""):
        org = current_user.organization
        if org.kind == "office":
            raise ValidationFailed("Name the member whose roadmap you want.",
                                   {"member_id": "Choose a member city."})
        if org.kind != "member":
            raise PermissionDenied("Roadmaps are for member cities and the consortium office.")
        return org
    member_id = parse_id(member_id)
    member = db.session.scalar(select(Organization).where(
        Organization.id == member_id, Organization.consortium_id == current_consortium().id,
        Organization.kind == "member")) if member_id is not None else None
    if member is None or not can.can_view_roadmap(current_user, member):
        abort(404)
    return member


def roadmap_members(user) -> list[Organization]:
    """Whose roadmap the person may open: the office every member's, a member its own."""
    consortium = current_consortium()
    if is_office_of(user, consortium.id):
        return list(db.session.scalars(select(Organization).where(
            Organization.consortium_id == consortium.id, Organization.kind == "member").order_by(Organization.name)))
    return [user.organization] if user.organization.kind == "member" else []


# --- the work queue ------------------------------------------------------------------------------------


@provider
def rounds_waiting(user, consortium) -> list[QueueItem]:
    """Open rounds wait for whoever runs them: to rate the candidates, then to close. One query."""
    if user.role not in ("approver", "admin"):
        return []
    rounds = db.session.scalars(
        select(PriorityRound).where(PriorityRound.consortium_id == consortium.id, PriorityRound.status == "open",
                                    PriorityRound.owner_id == user.organization_id)
        .options(joinedload(PriorityRound.owner), selectinload(PriorityRound.candidates))).all()
    items = []
    for round_ in rounds:
        if not can.can_run_round(user, round_):
            continue
        unrated = sum(1 for c in round_.candidates if len(c.ratings or {}) < len(round_.criteria or []))
        action = (f"Rate the needs ({unrated} not fully rated), then close the round" if unrated or not
                  round_.candidates else "Close the round: every need is rated")
        items.append(QueueItem("rate_round", f"{round_.reference} {round_.title} (FY{round_.fiscal_year})", action,
                               "priority_round", round_.id,
                               url_for("planning.round_page", consortium_slug=consortium.slug, round_id=round_.id),
                               round_.created_at))
    return items


# --- lists ----------------------------------------------------------------------------------------------

NEED_FILTERS = ("status", "category", "fiscal_year", "member_id")


def filtered_needs_stmt(user, args) -> tuple:
    """The visible needs narrowed by `?status=&category=&fiscal_year=&member_id=` (pages, CSV and API alike);
    returns the statement and {field: message} for filters that make no sense."""
    stmt, fields = visible_needs_stmt(user), {}
    status, category = args.get("status") or "", args.get("category") or ""
    if status:
        if status in NEED_STATUSES:
            stmt = stmt.where(Need.status == status)
        else:
            fields["status"] = "Unknown status."
    if category:
        if category in CATEGORIES:
            stmt = stmt.where(Need.category == category)
        else:
            fields["category"] = "Unknown category."
    if args.get("fiscal_year"):
        year = parse_id(args.get("fiscal_year"))
        if year is None or not FISCAL_YEAR_MIN <= year <= FISCAL_YEAR_MAX:
            fields["fiscal_year"] = f"A year from {FISCAL_YEAR_MIN} to {FISCAL_YEAR_MAX}."
        else:
            stmt = stmt.where(Need.fiscal_year == year)
    if args.get("member_id"):
        member_id = parse_id(args.get("member_id"))
        if member_id is None:
            fields["member_id"] = "Must be the id of a member city."
        else:
            stmt = stmt.where(Need.member_id == member_id)
    return stmt, fields
