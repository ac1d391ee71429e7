"""Pages for pay-for-performance: the order page's performance panel (terms, observations, settlement
table, KPI charts), reporting and verifying measurements, and the statement PDF."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from contracts.observations import services as services
from contracts.observations.documents import kpi_chart, render_statement
from contracts.orders import permissions as can
from contracts.orders.models import Observation, Order
from contracts.orders.views import ORDER_PANELS, _order_or_404
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.tenancy import get_or_404

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
        observations=observations, charts=charts,
        can_report=can.can_report_observation(current_user, order),
        can_verify=can.can_verify_observation(current_user, order),
        is_vendor=current_user.organization_id == order.vendor_id,
        codes=sorted(terms.kpi_codes()),
    ))


ORDER_PANELS.append(performance_panel)


def _back(order_id: int):
    return redirect(url_for("orders.order", order_id=order_id) + "#performance")


def _run(order_id: int, action, message: str):
    try:
        action()
    except PermissionDenied:
        db.session.rollback()
        abort(403)
    except DomainError as err:
        db.session.rollback()
        details = " ".join(err.fields.values()) if err.fields else ""
        flash(f"{err.message} {details}".strip(), "error")
        return redirect(url_for("orders.order", order_id=order_id) + "#performance"), 303
    db.session.commit()
    flash(message, "success")
    return _back(order_id)


@bp.route("/orders/<int:order_id>/observations", methods=["POST"])
def report(order_id: int):
    order = _order_or_404(order_id)
    data = {k: request.form.get(k, "") for k in ("period", "kpi", "value", "note")}
    return _run(order.id, lambda: services.report_observation(order, data, actor=current_user),
                f"Reported {data['kpi']} for period {data['period']}: the city will verify it.")


def _observation_or_404(observation_id: int) -> Observation:
    obs = get_or_404(Observation, observation_id)
    _order_or_404(obs.order_id)
    return obs


@bp.route("/observations/<int:observation_id>/verify", methods=["POST"])
def verify(observation_id: int):
    obs = _observation_or_404(observation_id)
    return _run(obs.order_id, lambda: services.verify_observation(obs, actor=current_user),
                f"Verified {obs.kpi} for period {obs.period}: it now counts for payment.")


@bp.route("/observations/<int:observation_id>/dispute", methods=["POST"])
def dispute(observation_id: int):
    obs = _observation_or_404(observation_id)
    return _run(obs.order_id,
                lambda: services.dispute_observation(obs, actor=current_user, reason=request.form.get("reason")),
                f"Disputed {obs.kpi} for period {obs.period}: the vendor can correct it.")


@bp.route("/observations/<int:observation_id>/correct", methods=["POST"])
def correct(observation_id: int):
    obs = _observation_or_404(observation_id)
    data = {k: request.form.get(k, "") for k in ("value", "note")}
    return _run(obs.order_id, lambda: services.correct_observation(obs, data, actor=current_user),
                f"Corrected {obs.kpi} for period {obs.period}: the city will verify it again.")


@bp.route("/orders/<int:order_id>/statement.pdf")
def statement(order_id: int):
    order = _order_or_404(order_id)
    settlement = services.settlement_for(order)
    if settlement is None:
        abort(404)
    raw = request.args.get("period", "")
    if not raw.isdigit() or not 1 <= int(raw) <= len(settlement.periods):
        abort(400, description=f"Choose a period from 1 to {len(settlement.periods)}.")
    response = make_response(render_statement(order, settlement, int(raw)))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{order.reference}-period-{raw}.pdf"'
    return response
