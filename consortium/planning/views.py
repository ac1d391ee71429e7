"""Planning pages: the needs list with the consortium's pooled demand and the rounds, a need (form and page), a
priority round (candidates, the rating grid, the ranking, closing through a confirmation page) and the capital
roadmap. Server-rendered; no JavaScript needed."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consortium.context import current_consortium, require
from consortium.planning import permissions as can
from consortium.planning import queries, services
from consortium.planning.columns import NEED_COLUMNS
from consortium.planning.forms import AddNeedForm, NeedForm, RoundForm
from consortium.planning.models import FUNDING_SOURCES, NEED_STATUS_LABELS, Need, PriorityRound, RoundCandidate
from marketplace.audit import AuditEvent
from marketplace.categories import CATEGORIES
from marketplace.confirm import check_step, confirmation, render_confirmation
from marketplace.csvexport import csv_response, stream_scalars
from marketplace.errors import DomainError, PermissionDenied, ValidationFailed
from marketplace.extensions import db
from marketplace.formats import money
from marketplace.formerrors import fail_form, refuse_form

bp = Blueprint("planning", __name__, url_prefix="/c/<consortium_slug>", template_folder="../templates")

PLANNERS = ("buyer", "approver", "admin")
MAX_LISTED = 500


def _planner() -> None:
    """Member staff and the office plan; vendors (of the consortium) may not (403); strangers 404."""
    require(current_user.is_authenticated and current_user.role in PLANNERS)


def _history(object_type: str, object_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.created_at, AuditEvent.id)))


# --- needs ----------------------------------------------------------------------------------------------


def _needs_stmt():
    stmt, problems = queries.filtered_needs_stmt(current_user, request.args)
    if problems:
        flash("Some filters were ignored: " + " ".join(problems.values()), "error")
        stmt, _ = queries.filtered_needs_stmt(current_user, {})
    return stmt.options(joinedload(Need.member)).order_by(Need.fiscal_year, Need.id)


def _filtered_needs():
    return list(db.session.scalars(_needs_stmt().limit(MAX_LISTED)))


@bp.route("/needs")
def needs():
    _planner()
    consortium = current_consortium()
    args = {k: request.args[k] for k in queries.NEED_FILTERS if request.args.get(k)}
    return render_template(
        "consortium/planning/needs.html", needs=_filtered_needs(), demand=queries.pooled_demand(),
        rounds=queries.visible_rounds(current_user), args=args, statuses=NEED_STATUS_LABELS,
        categories=CATEGORIES, may_record=can.can_record_need(current_user, consortium),
        may_start_round=can.can_start_round(current_user, consortium))


@bp.route("/needs/export.csv")
def needs_csv():
    _planner()
    return NEED_COLUMNS.response("needs.csv", stream_scalars(_needs_stmt()))


def _need_form_page(form: NeedForm, need: Need | None, status: int = 200):
    return render_template("consortium/planning/need_form.html", form=form, need=need,
                           sources=FUNDING_SOURCES), status


@bp.route("/needs/new", methods=["GET", "POST"])
def new_need():
    _planner()
    if not can.can_record_need(current_user, current_consortium()):
        raise PermissionDenied(services.MEMBERS_RECORD)
    form = NeedForm()
    if request.method == "GET":
        return _need_form_page(form, None)
    try:
        need = services.create_need(current_consortium(), form.to_data(), actor=current_user)
    except ValidationFailed as err:
        refuse_form(form, err)
        return _need_form_page(form, None, 400)
    db.session.commit()
    flash(f"Need {need.reference} recorded as a draft. Submit it when it is ready: the consortium then sees it.",
          "success")
    return redirect(url_for("planning.need", need_id=need.id))


def _need_page(need: Need, status: int = 200):
    rounds = db.session.scalars(select(PriorityRound).join(RoundCandidate)
                                .where(RoundCandidate.need_id == need.id).order_by(PriorityRound.id)).all()
    return render_template(
        "consortium/planning/need.html", need=need, sources=FUNDING_SOURCES, events=_history("need", need.id),
        rounds=[r for r in rounds if can.can_view_round(current_user, r)],
        panels=[panel(need) for panel in queries.NEED_PANELS], may_edit=can.can_edit_need(current_user, need),
        may_submit=services.NEED_LIFECYCLE.may("submit", current_user, need)), status


@bp.route("/needs/<int:need_id>")
def need(need_id: int):
    return _need_page(queries.get_need_or_404(need_id))


@bp.route("/needs/<int:need_id>/edit", methods=["GET", "POST"])
def edit_need(need_id: int):
    need = queries.get_need_or_404(need_id)
    require(can.can_edit_need(current_user, need))
    form = NeedForm()
    if request.method == "GET":
        form.fill(need)
        return _need_form_page(form, need)
    try:
        services.update_need(need, form.to_data(), actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        refuse_form(form, err)
        return _need_form_page(form, queries.get_need_or_404(need_id), err.status)
    db.session.commit()
    flash(f"Need {need.reference} saved.", "success")
    return redirect(url_for("planning.need", need_id=need.id))


@bp.route("/needs/<int:need_id>/submit", methods=["POST"])
def submit_need(need_id: int):
    need = queries.get_need_or_404(need_id)
    try:
        services.submit_need(need, actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        flash(err.in_full, "error")
        return _need_page(queries.get_need_or_404(need_id), err.status)
    db.session.commit()
    flash(f"Need {need.reference} submitted: every member and the office see it, and a priority round can take it.",
          "success")
    return redirect(url_for("planning.need", need_id=need.id))


# --- priority rounds ------------------------------------------------------------------------------------


@bp.route("/rounds/new", methods=["GET", "POST"])
def new_round():
    _planner()
    require(can.can_start_round(current_user, current_consortium()))
    form = RoundForm()
    status = 200
    if request.method == "POST":
        try:
            round_ = services.start_round(current_consortium(), form.to_data(), actor=current_user)
        except ValidationFailed as err:
            refuse_form(form, err)
            status = 400
        else:
            db.session.commit()
            flash(f"Priority round {round_.reference} started. Add the needs, rate them, then close it.", "success")
            return redirect(url_for("planning.round_page", round_id=round_.id))
    return render_template("consortium/planning/round_form.html", form=form,
                           regional=current_user.role == "admin"), status


def _grid_fields(round_: PriorityRound) -> dict[str, tuple[str, str]]:
    """Every cell of the rating grid: its error key, its label and its element id (`r-<need>-<n>`)."""
    fields = {}
    for c in round_.candidates:
        for n, name in enumerate(round_.criterion_names):
            fields[f"ratings.{c.need_id}.{name}"] = (f"{c.need.reference} {name}", f"r-{c.need_id}-{n}")
    return fields


def _round_page(round_: PriorityRound, status: int = 200, add_form: AddNeedForm | None = None):
    may_run = can.can_run_round(current_user, round_) and round_.status == "open"
    if add_form is None:
        add_form = AddNeedForm(formdata=None)
    if may_run:
        add_form.need_id.choices = [("", "- Select -")] + [
            (str(n.id), f"{n.reference} {n.title} — {n.member.name}, {money(n.estimated_cost)}, FY{n.fiscal_year}")
            for n in queries.candidate_choices(round_)]
    return render_template(
        "consortium/planning/round.html", round=round_, result=services.round_result(round_), may_run=may_run,
        may_close=services.ROUND_LIFECYCLE.may("close", current_user, round_), add_form=add_form,
        events=_history("priority_round", round_.id)), status


@bp.route("/rounds/<int:round_id>")
def round_page(round_id: int):
    return _round_page(queries.get_round_or_404(round_id))


@bp.route("/rounds/<int:round_id>/needs", methods=["POST"])
def add_round_need(round_id: int):
    round_ = queries.get_round_or_404(round_id)
    form = AddNeedForm()
    try:
        services.add_candidate(round_, {"need_id": form.need_id.data}, actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        fail_form("add_need", err, anchor="add-need-form", fields={"need_id": ("Need", "need_id")})
        form.need_id.errors = [err.fields.get("need_id", err.message)]
        return _round_page(queries.get_round_or_404(round_id), err.status, add_form=form)
    db.session.commit()
    flash("Need added to the round: rate it on every criterion.", "success")
    return redirect(url_for("planning.round_page", round_id=round_id) + "#ratings")


@bp.route("/rounds/<int:round_id>/ratings", methods=["POST"])
def rate_round(round_id: int):
    round_ = queries.get_round_or_404(round_id)
    names = round_.criterion_names
    grid = {c.need_id: {name: request.form.get(f"r-{c.need_id}-{n}", "").strip() for n, name in enumerate(names)}
            for c in round_.candidates}
    try:
        services.rate_grid(round_, grid, actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        typed = {f"r-{need_id}-{n}": grid[need_id][name][:10] for need_id in grid for n, name in enumerate(names)}
        fail_form("ratings", err, anchor="ratings-form", values=typed, fields=_grid_fields(round_))
        return _round_page(queries.get_round_or_404(round_id), err.status)
    db.session.commit()
    flash("Ratings saved.", "success")
    return redirect(url_for("planning.round_page", round_id=round_id) + "#ranking")


def _close_page(round_: PriorityRound):
    result = services.round_result(round_)
    consequences = [f"{len([r for r in result.rows if r.selected])} need(s) are selected for "
                    f"{money(result.selected_total)} of the {money(round_.budget)} envelope; "
                    f"{money(result.remaining)} remains.",
                    "Each other need is deferred with the reason it did not fit.",
                    "Ratings can no longer change."]
    return confirmation(services.ROUND_LIFECYCLE, "close", round_, name=round_.reference,
                        action=url_for("planning.close_round", round_id=round_.id),
                        back=url_for("planning.round_page", round_id=round_.id), consequences=consequences,
                        seen_by=["The needs' cities see them as selected or deferred; the roadmap shows the "
                                 "selected ones."])


@bp.route("/rounds/<int:round_id>/close", methods=["GET", "POST"])
def close_round(round_id: int):
    round_ = queries.get_round_or_404(round_id)
    try:
        if request.method == "GET":
            check_step(services.ROUND_LIFECYCLE, "close", current_user, round_)
            return render_confirmation(_close_page(round_))
        services.close_round(round_, actor=current_user)
    except PermissionDenied:
        db.session.rollback()
        raise
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return _round_page(queries.get_round_or_404(round_id), err.status)
    db.session.commit()
    flash(f"Round {round_.reference} closed: the needs are selected or deferred.", "success")
    return redirect(url_for("planning.round_page", round_id=round_id) + "#ranking")


# --- the roadmap ----------------------------------------------------------------------------------------


def _roadmap_member():
    _planner()
    members = queries.roadmap_members(current_user)
    if not members:
        raise PermissionDenied("Roadmaps are for member cities and the consortium office.")
    chosen = request.args.get("member") or str(members[0].id)
    return queries.roadmap_member_or_404(chosen), members


@bp.route("/roadmap")
def roadmap():
    member, members = _roadmap_member()
    return render_template("consortium/planning/roadmap.html", roadmap=queries.roadmap(member, current_consortium()),
                           members=members, sources=FUNDING_SOURCES)


@bp.route("/roadmap/export.csv")
def roadmap_csv():
    member, _ = _roadmap_member()
    data = queries.roadmap(member, current_consortium())
    rows = [(year.fiscal_year, item.need.reference, item.need.title, item.need.status, item.need.estimated_cost,
             source, amount) for year in data.years for item in year.needs
            for source, amount in (item.need.funding_lines or [("", None)])]
    return csv_response(f"roadmap-{member.name}.csv", ("fiscal_year", "need", "title", "status", "estimated_cost",
                                                      "funding_source", "amount"), rows)
