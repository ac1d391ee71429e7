"""Loading financing and funds for pages and the API alike: financing is visible to whoever may see its
order; a fund to its owner's people and the consortium's admins. Strangers get 404, never 403."""

from __future__ import annotations

from flask import abort, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consortium.context import belongs, current_consortium
from consortium.models import Organization
from consortium.permissions import is_office_of
from consortium.planning.models import Need
from consortium.planning.queries import NEED_FINANCING, NeedFinance, get_need_or_404
from contracts.finance import permissions as can
from contracts.finance.models import FUNDING_SOURCE_OF_KIND, Draw, FinancingInstrument, Fund
from contracts.orders.models import Order
from contracts.orders.queries import get_order_or_404
from marketplace.extensions import db
from marketplace.tenancy import get_or_404


def _in_consortium() -> None:
    """401 for nobody signed in; 404 for anyone who does not work in the current consortium."""
    if not current_user.is_authenticated:
        abort(401)
    if current_consortium() is None or not belongs(current_user):
        abort(404)


def get_financing_or_404(instrument_id: int) -> FinancingInstrument:
    """The instrument, for someone who may see its order (or its need)."""
    _in_consortium()
    instrument = get_or_404(FinancingInstrument, instrument_id)
    if instrument.need_id is not None:
        get_need_or_404(instrument.need_id)
    else:
        get_order_or_404(instrument.order_id)
    return instrument


def get_fund_or_404(fund_id: int) -> Fund:
    """The fund, for its owner's people and the consortium's admins."""
    _in_consortium()
    fund = get_or_404(Fund, fund_id)
    if not can.can_view_fund(current_user, fund):
        abort(404)
    return fund


def order_for_financing_or_404(order_id) -> Order:
    """The order an API call attaches financing to (404 unless the caller may see it)."""
    _in_consortium()
    return get_order_or_404(order_id)


def need_for_financing_or_404(need_id) -> Need:
    """The need an API call attaches financing to (404 unless the caller may see it)."""
    _in_consortium()
    return get_need_or_404(need_id)


def need_instruments(need: Need) -> list[FinancingInstrument]:
    return list(db.session.scalars(select(FinancingInstrument).where(FinancingInstrument.need_id == need.id)
                                   .order_by(FinancingInstrument.id)))


def need_finance(needs) -> list[NeedFinance]:
    """Planning's port (`consortium.planning.queries.NEED_FINANCING`): the instruments on these needs as amounts
    by funding source (`FUNDING_SOURCE_OF_KIND`; guarantees bring no money and are left out). One query."""
    ids = [n.id for n in needs]
    if not ids:
        return []
    found = []
    for inst in db.session.scalars(select(FinancingInstrument).where(FinancingInstrument.need_id.in_(ids))
                                   .order_by(FinancingInstrument.id)):
        source = FUNDING_SOURCE_OF_KIND[inst.kind]
        if source is not None and inst.amount is not None:
            found.append(NeedFinance(inst.need_id, source, inst.amount, f"{inst.label} from {inst.partner}",
                                     url_for("finance.financing", instrument_id=inst.id)))
    return found


NEED_FINANCING.append(need_finance)


def order_instruments(order: Order) -> list[FinancingInstrument]:
    return list(db.session.scalars(select(FinancingInstrument).where(FinancingInstrument.order_id == order.id)
                                   .order_by(FinancingInstrument.id)))


def visible_funds(user) -> list[Fund]:
    """The funds of the person's organization; every fund of the consortium for its admins."""
    stmt = select(Fund).options(joinedload(Fund.owner)).order_by(Fund.name, Fund.id)
    consortium = current_consortium()
    if not is_office_of(user, consortium.id if consortium else None):
        stmt = stmt.where(Fund.owner_id == user.organization_id)
    return list(db.session.scalars(stmt))


def visible_order_draw(order: Order, user) -> Draw | None:
    """The draw financing the order, when the person may see its fund."""
    draw = db.session.scalar(select(Draw).where(Draw.order_id == order.id).options(joinedload(Draw.fund)))
    if draw is None or not can.can_view_fund(user, draw.fund):
        return None
    return draw


def funds_to_draw_from(order: Order, user) -> list[Fund]:
    """The funds the person runs that could finance this order (the office's, or the order's member's)."""
    funds = db.session.scalars(select(Fund).where(Fund.owner_id == user.organization_id)
                               .options(joinedload(Fund.owner)))
    return [f for f in funds if can.can_draw_on_fund(user, f)
            and (f.owner.kind == "office" or f.owner_id == order.member_id)]


def fund_owner_choices(user) -> list[Organization]:
    """Whom the person may open a fund for: their member, or (admins) the office and every member."""
    consortium = current_consortium()
    if consortium is None:
        return []
    if is_office_of(user, consortium.id):
        return list(db.session.scalars(select(Organization).where(
            Organization.consortium_id == consortium.id, Organization.kind.in_(("office", "member")))
            .order_by(Organization.kind.desc(), Organization.name)))
    return [user.organization] if can.can_create_fund(user, user.organization) else []
