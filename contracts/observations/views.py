"""Pages for pay-for-performance: the order page's performance panel (terms, observations, settlement
table, KPI charts), reporting, verifying, disputing and correcting measurements, and the statement PDF."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from contracts.observations import queries, services
from contracts.observations.documents import kpi_chart, render_statement
from contracts.observations.models import NOTE_MAX, VALUE_TEXT_MAX
from contracts.observations.permissions import can_report_observation
from contracts.observations.queries import get_observation_or_404
from contracts.orders.models import Order
from contracts.orders.queries import ORDER_PANELS, get_order_or_404, order_page_context
from marketplace.confirm import check_step, confirmation, reason_error, render_confirmation
from marketplace.errors import DomainError, PermissionDenied
from marketplace.extensions import db
from marketplace.formerrors import fail_form
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
    measures = {m.code: m for m in terms.measures()}
    return Markup(render_template(
        "contracts/observations/_panel.html", order=order, terms=terms, settlement=settlement,
        observations=observations, charts=charts, can_report=can_report_observation(current_user, order),
        may=lambda step, obs: services.OBSERVATION_LIFECYCLE.may(step, current_user, obs),
        measures=measures, ended=services.order_elapsed_periods(order, terms),
        next_reportable=services.next_reportable(order, terms),
        note_max=NOTE_MAX, reason_max=REASON_LIMIT, value_max=VALUE_TEXT_MAX,
    ))


ORDER_PANELS.append(performance_panel)


def _refused(order_id: int, err: DomainError):
    """The order page with what went wrong, at the error's status (a lost race: who did what, and when)."""
    db.session.rollback()
    flash(err.in_full, "error")
    page = render_template("contracts/orders/order.html", **order_page_context(get_order_or_404(order_id)))
    return page, err.status


# The hand-written forms of the panel: field name → (label, element id), in the form's order.
REPORT_FIELDS = {"period": ("Period", "obs-period"), "kpi": ("KPI", "obs-kpi"),
                 "value": ("Measured value", "obs-value"), "note": ("Evidence note", "obs-note")}


def _correct_fields(obs_id: int) -> dict[str, tuple[str, str]]:
    return {"value": ("Corrected value", f"correct-{obs_id}"), "note": ("Evidence", f"correct-note-{obs_id}")}


def _act(order_id: int, action, message: str, *, form: tuple[str, str, dict, dict] | None = None):
    """Run one service call; commit and go back to the panel, or show the order page with what went wrong
    (a lost race answers 409 with who did what, and when). `form` (name, anchor, values, fields) names the
    form that was sent: its problems are shown at it, with what was typed."""
    try:
        action()
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        if form is None:
            return _refused(order_id, err)
        db.session.rollback()
        name, anchor, values, fields = form
        fail_form(name, err, anchor=anchor, values=values, fields=fields)
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
                f"Reported {data['kpi']} for period {data['period']}: the city will verify it.",
                form=("report", "report-form", data, REPORT_FIELDS))


@bp.route("/observations/<int:observation_id>/verify", methods=["POST"])
def verify(observation_id: int):
    obs = get_observation_or_404(observation_id)
    return _act(obs.order_id, lambda: services.verify_observation(obs, actor=current_user),
                f"Verified {obs.kpi} for period {obs.period}: it now counts for payment.")


def _dispute_page(obs):
    order = obs.order
    return confirmation(
        services.OBSERVATION_LIFECYCLE, "dispute", obs, name=f"{obs.kpi} for period {obs.period}",
        title=f"Dispute {obs.kpi} for period {obs.period} of order {order.reference}?",
        button="Dispute the value", action=url_for("performance.dispute", observation_id=obs.id),
        back=url_for("orders.order", order_id=order.id) + "#performance",
        consequences=queries.dispute_consequences(obs),
        seen_by=[f"{order.vendor.name} sees the value as disputed, with your reason, on the order's page; so do "
                 f"{order.member.name}'s buyers and approvers and the consortium office."],
        undo="This cannot be undone: only a corrected value from the vendor can be verified.")


@bp.route("/observations/<int:observation_id>/dispute", methods=["GET", "POST"])
def dispute(observation_id: int):
    """GET: the confirmation page (403, or 409 on the order page, as the POST would answer). POST: dispute,
    or the confirmation page again with the reason's message and what was typed."""
    obs = get_observation_or_404(observation_id)
    if request.method == "GET":
        try:
            check_step(services.OBSERVATION_LIFECYCLE, "dispute", current_user, obs)
        except PermissionDenied:
            raise
        except DomainError as err:
            return _refused(obs.order_id, err)
        return render_confirmation(_dispute_page(obs))
    reason = request.form.get("reason")
    try:
        services.dispute_observation(obs, actor=current_user, reason=reason)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        if not reason_error(err):
            return _refused(obs.order_id, err)
        db.session.rollback()
        return render_confirmation(_dispute_page(get_observation_or_404(observation_id)), reason=reason, error=err)
    db.session.commit()
    flash(f"Disputed {obs.kpi} for period {obs.period}: the vendor can correct it.", "success")
    return redirect(url_for("orders.order", order_id=obs.order_id) + "#performance")


@bp.route("/observations/<int:observation_id>/correct", methods=["POST"])
def correct(observation_id: int):
    obs = get_observation_or_404(observation_id)
    data = {k: request.form.get(k, "") for k in ("value", "note")}
    return _act(obs.order_id, lambda: services.correct_observation(obs, data, actor=current_user),
                f"Corrected {obs.kpi} for period {obs.period}: the city will verify it again.",
                form=(f"correct-{obs.id}", f"correct-form-{obs.id}", data, _correct_fields(obs.id)))


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
