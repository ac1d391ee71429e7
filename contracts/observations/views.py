"""Pages for pay-for-performance: the order page's performance panel (terms, observations, settlement
table, KPI charts), reporting, verifying, disputing and correcting measurements, and the statement PDF."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from contracts.observations import services
from contracts.observations.documents import kpi_chart, render_statement
from contracts.observations.models import NOTE_MAX, VALUE_TEXT_MAX
from contracts.observations.permissions import can_report_observation
from contracts.observations.queries import get_observation_or_404
from contracts.orders.models import Order
from contracts.orders.queries import ORDER_PANELS, get_order_or_404, order_page_context
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.inputs import REASON_LIMIT, parse_period

bp = Blueprint("performance", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")


def performance_panel(order: Order) -> Markup:
    """The order page's pay-for-performance section (empty for orders without terms)."""
    terms = services.order_terms(order)
    if terms is None:
        return Markup("")
    settlement = services.settlement_for(order)
    observations = list(order.observations)
    verified: dict[str, dict[int, object]] = {}
    for obs in observations:
        if obs.status == "verified":
            verified.setdefault(obs.kpi, {})[obs.period] = obs.value
    charts = [(k, kpi_chart(k, verified.get(k.code, {}), terms.periods)) for k in terms.kpis]
    return Markup(render_template(
        "contracts/observations/_panel.html", order=order, terms=terms, settlement=settlement,
        observations=observations, charts=charts, can_report=can_report_observation(current_user, order),
        may=lambda step, obs: services.OBSERVATION_LIFECYCLE.may(step, current_user, obs),
        codes=sorted(terms.kpi_codes()), note_max=NOTE_MAX, reason_max=REASON_LIMIT, value_max=VALUE_TEXT_MAX,
    ))


ORDER_PANELS.append(performance_panel)


def _act(order_id: int, action, message: str):
    """Run one service call; commit and go back to the panel, or show the order page with what went wrong
    (a lost race answers 409 with who did what, and when)."""
    try:
        action()
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        flash(err.in_full, "error")
        page = render_template("contracts/orders/order.html", **order_page_context(get_order_or_404(order_id)))
        return page, err.status
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("orders.order", order_id=order_id) + "#performance")


@bp.route("/orders/<int:order_id>/observations", methods=["POST"])
def report(order_id: int):
    order = get_order_or_404(order_id)
    data = {k: request.form.get(k, "") for k in ("period", "kpi", "value", "note")}
    return _act(order.id, lambda: services.report_observation(order, data, actor=current_user),
                f"Reported {data['kpi']} for period {data['period']}: the city will verify it.")


@bp.route("/observations/<int:observation_id>/verify", methods=["POST"])
def verify(observation_id: int):
    obs = get_observation_or_404(observation_id)
    return _act(obs.order_id, lambda: services.verify_observation(obs, actor=current_user),
                f"Verified {obs.kpi} for period {obs.period}: it now counts for payment.")


@bp.route("/observations/<int:observation_id>/dispute", methods=["POST"])
def dispute(observation_id: int):
    obs = get_observation_or_404(observation_id)
    return _act(obs.order_id,
                lambda: services.dispute_observation(obs, actor=current_user, reason=request.form.get("reason")),
                f"Disputed {obs.kpi} for period {obs.period}: the vendor can correct it.")


@bp.route("/observations/<int:observation_id>/correct", methods=["POST"])
def correct(observation_id: int):
    obs = get_observation_or_404(observation_id)
    data = {k: request.form.get(k, "") for k in ("value", "note")}
    return _act(obs.order_id, lambda: services.correct_observation(obs, data, actor=current_user),
                f"Corrected {obs.kpi} for period {obs.period}: the city will verify it again.")


@bp.route("/orders/<int:order_id>/statement.pdf")
def statement(order_id: int):
    order = get_order_or_404(order_id)
    settlement = services.settlement_for(order)
    if settlement is None:
        abort(404)
    fields: dict[str, str] = {}
    period = parse_period(request.args.get("period"), "period", fields, high=len(settlement.periods))
    if period is None:
        abort(400, description=fields.get("period", f"Choose a period from 1 to {len(settlement.periods)}."))
    response = make_response(render_statement(order, settlement, period))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{order.reference}-period-{period}.pdf"'
    return response
