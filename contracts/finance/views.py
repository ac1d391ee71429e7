"""Financing and fund pages: the order page's financing section, adding an instrument, the instrument page
with its schedule (table, chart and CSV), the funds list, the fund page (balance over time, draws, what is
repaid and what is projected) and its actions."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from consortium.context import current_consortium, require
from consortium.planning.models import Need
from consortium.planning.queries import NEED_PANELS, get_need_or_404
from contracts.finance import permissions as can
from contracts.finance import queries, services
from contracts.finance.forms import ContributionForm, DrawForm, FinancingForm, FundForm, VendorFinancingForm
from contracts.finance.models import KIND_LABELS, FinancingInstrument, Fund
from contracts.finance.validation import vendor_financing_problems
from contracts.orders.forms import ORDER_FORM_SECTIONS, OrderFormSection
from contracts.orders.models import Order
from contracts.orders.queries import ORDER_PANELS, get_order_or_404
from marketplace.charts import line_chart
from marketplace.csvexport import csv_response
from marketplace.errors import DomainError, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import day, money
from marketplace.formerrors import fail_wtform

bp = Blueprint("finance", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")

FUND_ROLES = ("buyer", "approver", "admin")


# --- the order page's section -----------------------------------------------------------------------


def financing_panel(order: Order) -> Markup:
    """The order page's financing: its instruments, the draw financing it (for those who see the fund), and
    the ways to add financing."""
    draw = queries.visible_order_draw(order, current_user)
    may_draw = draw is None and order.status in services.FINANCEABLE_STATES and services.order_draw(order) is None
    return Markup(render_template(
        "contracts/finance/_panel.html", order=order, instruments=queries.order_instruments(order),
        may_add=can.can_add_financing(current_user, order) and order.status not in services.CLOSED_TO_FINANCING,
        draw=draw, draw_state=services.draw_state(draw) if draw is not None else None,
        funds=queries.funds_to_draw_from(order, current_user) if may_draw else []))


ORDER_PANELS.append(financing_panel)


def need_financing_panel(need: Need) -> Markup:
    """The need page's financing: the instruments recorded on it, and the way to add one."""
    return Markup(render_template("contracts/finance/_need_panel.html", need=need,
                                  instruments=queries.need_instruments(need),
                                  may_add=can.can_add_need_financing(current_user, need)))


NEED_PANELS.append(need_financing_panel)


# --- the order form's vendor-financing block -----------------------------------------------------------


def _prefill_vendor_financing(sub: VendorFinancingForm, award, order) -> None:
    if not sub.partner.data and award is not None:
        sub.partner.data = award.vendor.name


def _sub_data(sub: VendorFinancingForm) -> dict:
    return {name: (field.data or "").strip() if isinstance(field.data, str) else field.data
            for name, field in sub._fields.items()}


ORDER_FORM_SECTIONS.append(OrderFormSection(
    key="financing", title="Vendor financing", pricing_model="vendor_financed", form_class=VendorFinancingForm,
    template="contracts/finance/_order_form_section.html", prefill=_prefill_vendor_financing,
    existing=services.order_vendor_financing,
    problems=lambda sub: vendor_financing_problems(_sub_data(sub), None),
    save=lambda order, sub, actor: services.add_vendor_financing(order, _sub_data(sub), actor=actor),
))


# --- financing instruments --------------------------------------------------------------------------


@bp.route("/orders/<int:order_id>/financing/new", methods=["GET", "POST"])
def new_financing(order_id: int):
    order = get_order_or_404(order_id)
    require(can.can_add_financing(current_user, order))
    return _financing_form(order, lambda: get_order_or_404(order_id),
                           lambda form: services.add_financing(order, form.to_data(), actor=current_user))


@bp.route("/needs/<int:need_id>/financing/new", methods=["GET", "POST"])
def new_need_financing(need_id: int):
    need = get_need_or_404(need_id)
    require(can.can_add_need_financing(current_user, need))
    return _financing_form(need, lambda: get_need_or_404(need_id),
                           lambda form: services.add_need_financing(need, form.to_data(), actor=current_user))


def _financing_form(owner, reload, add):
    """The form to add financing to an order or a need; on success, the instrument's page."""
    form = FinancingForm()
    status = 200
    if request.method == "POST":
        try:
            instrument = add(form)
        except PermissionDenied:
            db.session.rollback()
            raise
        except DomainError as err:
            db.session.rollback()
            for key, message in err.fields.items():
                if hasattr(form, key):
                    getattr(form, key).errors = [message]
            if not isinstance(err, ValidationFailed) or not err.fields:
                flash(err.in_full, "error")
            status = err.status
            owner = reload()
        else:
            db.session.commit()
            what = f"need {owner.reference}" if isinstance(owner, Need) else f"order {owner.reference}"
            flash(f"{instrument.label} from {instrument.partner} recorded on {what}.", "success")
            return redirect(url_for("finance.financing", instrument_id=instrument.id))
    is_need = isinstance(owner, Need)
    return render_template("contracts/finance/financing_form.html", need=owner if is_need else None,
                           order=None if is_need else owner, form=form), status


def _schedule_chart(instrument: FinancingInstrument, schedule):
    labels = [day(row.due_on) if row.due_on else f"Payment {row.n}" for row in schedule.rows]
    values = [schedule.principal, *(row.balance for row in schedule.rows)]
    first = day(instrument.first_payment_on)
    description = (f"The balance starts at {money(schedule.principal)} and falls to {money(0)} over "
                   f"{len(schedule.rows)} payments of {money(schedule.payment)} from {first}; the last payment is "
                   f"{money(schedule.last_payment)}. Total interest {money(schedule.total_interest)}.")
    return line_chart(chart_id=f"schedule-{instrument.id}", title=f"Balance of the {instrument.label.lower()} "
                      f"from {instrument.partner} over time", description=description,
                      labels=["Start", *labels], values=values, series="Balance")


@bp.route("/financing/<int:instrument_id>")
def financing(instrument_id: int):
    instrument = queries.get_financing_or_404(instrument_id)
    schedule = services.instrument_schedule(instrument)
    return render_template(
        "contracts/finance/financing.html", instrument=instrument, order=instrument.order, need=instrument.need,
        schedule=schedule,
        bond=services.instrument_bond(instrument), kinds=KIND_LABELS,
        chart=_schedule_chart(instrument, schedule) if schedule is not None else None)


@bp.route("/financing/<int:instrument_id>/schedule.csv")
def schedule_csv(instrument_id: int):
    instrument = queries.get_financing_or_404(instrument_id)
    schedule = services.instrument_schedule(instrument)
    if schedule is None:
        return render_template("errors/error.html", status=404,
                               message=f"A {instrument.label.lower()} has no payment schedule."), 404
    rows = [(row.n, row.due_on, row.payment, row.interest, row.principal, row.balance) for row in schedule.rows]
    return csv_response(f"financing-{instrument.id}-schedule.csv",
                        ("n", "due_on", "payment", "interest", "principal", "balance"), rows)


# --- funds ------------------------------------------------------------------------------------------


def _fund_form(form: FundForm | None = None) -> FundForm:
    form = form or FundForm(formdata=None)
    form.owner_id.choices = [(str(o.id), o.name) for o in queries.fund_owner_choices(current_user)]
    return form


def _funds_page(form: FundForm | None = None, status: int = 200):
    funds = queries.visible_funds(current_user)
    states = {fund.id: services.fund_state(fund) for fund in funds}
    return render_template("contracts/finance/funds.html", funds=funds, states=states, form=_fund_form(form),
                           may_create=can.can_create_funds(current_user, current_consortium())), status


@bp.route("/funds")
def funds():
    require(current_user.is_authenticated and current_user.role in FUND_ROLES)
    return _funds_page()


@bp.route("/funds/export.csv")
def funds_csv():
    require(current_user.is_authenticated and current_user.role in FUND_ROLES)
    rows = [(fund.name, fund.owner.name, state.contributed, state.drawn, state.repaid, state.balance)
            for fund, state in ((f, services.fund_state(f)) for f in queries.visible_funds(current_user))]
    return csv_response("funds.csv", ("fund", "owner", "contributions", "drawn", "repaid", "balance"), rows)


@bp.route("/funds", methods=["POST"])
def create_fund():
    require(can.can_create_funds(current_user, current_consortium()))
    form = FundForm()
    try:
        fund = services.create_fund(current_consortium(), {"name": form.name.data, "owner_id": form.owner_id.data},
                                    actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        fail_wtform("fund", form, err, anchor="fund-form")
        return _funds_page(form, err.status)
    db.session.commit()
    flash(f"Fund {fund.name} opened for {fund.owner.name}. Record its first contribution.", "success")
    return redirect(url_for("finance.fund", fund_id=fund.id))


def _balance_chart(fund: Fund, state: services.FundState):
    rows = state.ledger
    if not rows:
        return None
    description = (f"The balance of {fund.name} after each movement, from {day(rows[0].on)} to {day(rows[-1].on)}: "
                   f"contributions {money(state.contributed)}, draws {money(state.drawn)}, repayments from verified "
                   f"savings {money(state.repaid)}; balance now {money(state.balance)}.")
    return line_chart(chart_id=f"fund-{fund.id}", title=f"Balance of {fund.name} over time", description=description,
                      labels=[day(r.on) for r in rows], values=[r.balance for r in rows], series="Balance")


def _fund_page(fund: Fund, status: int = 200):
    state = services.fund_state(fund)
    contribution_form = g.get("contribution_form") or ContributionForm(formdata=None)
    draw_form = g.get("draw_form") or DrawForm(formdata=None)
    if draw_form.order_id.data is None and request.args.get("order"):
        draw_form.order_id.data = request.args.get("order", "")[:20]
    return render_template(
        "contracts/finance/fund.html", fund=fund, state=state, chart=_balance_chart(fund, state),
        may_contribute=can.can_contribute_to_fund(current_user, fund),
        may_draw=can.can_draw_on_fund(current_user, fund), contribution_form=contribution_form,
        draw_form=draw_form), status


@bp.route("/funds/<int:fund_id>")
def fund(fund_id: int):
    return _fund_page(queries.get_fund_or_404(fund_id))


def _fund_action(fund_id: int, form, key: str, action, message):
    fund = queries.get_fund_or_404(fund_id)
    try:
        result = action(fund, {f.name: f.data for f in form if f.name != "csrf_token"})
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        fail_wtform(key, form, err, anchor=f"{key}-form")
        g.setdefault(f"{key}_form", form)
        return _fund_page(queries.get_fund_or_404(fund_id), err.status)
    db.session.commit()
    flash(message(result), "success")
    return redirect(url_for("finance.fund", fund_id=fund_id))


@bp.route("/funds/<int:fund_id>/contributions", methods=["POST"])
def contribute(fund_id: int):
    return _fund_action(fund_id, ContributionForm(), "contribution",
                        lambda fund, data: services.record_contribution(fund, data, actor=current_user),
                        lambda c: f"Contribution of {money(c.amount)} from {c.source} recorded.")


@bp.route("/funds/<int:fund_id>/draws", methods=["POST"])
def draw(fund_id: int):
    return _fund_action(fund_id, DrawForm(), "draw",
                        lambda fund, data: services.draw_on_fund(fund, data, actor=current_user),
                        lambda d: f"{money(d.amount)} drawn to finance order TO-{d.order_id:06d}; it is repaid at "
                                  f"{d.repayment_pct}% of what the order's verified settlement brings the city.")


@bp.route("/funds/<int:fund_id>/ledger.csv")
def ledger_csv(fund_id: int):
    fund = queries.get_fund_or_404(fund_id)
    state = services.fund_state(fund)
    return csv_response(f"fund-{fund.id}-ledger.csv", ("date", "movement", "description", "amount", "balance"),
                        [(r.on, r.kind, r.description, r.amount, r.balance) for r in state.ledger])
