"""JSON API for needs, priority rounds and the capital roadmap (DESIGN section 7). Money travels as strings with
two decimals, weights and scores as decimal strings, dates as ISO 8601."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from consortium.context import consortium_or_404
from consortium.planning import queries, services
from consortium.planning.columns import NEED_COLUMNS
from consortium.planning.models import (
    CRITERION_MAX,
    FISCAL_YEAR_MAX,
    FISCAL_YEAR_MIN,
    FUNDING_SOURCES,
    MAX_CRITERIA,
    NEED_STATUSES,
    RATING_MAX,
    RATING_MIN,
    TEXT_MAX,
    TITLE_MAX,
    Need,
    PriorityRound,
)
from marketplace.api import ID, PAGE_PARAMS, POSITIVE_MONEY, created, operation, paginate_args, wants_csv
from marketplace.categories import CATEGORIES
from marketplace.csvexport import stream_scalars
from marketplace.errors import ValidationFailed
from marketplace.extensions import db

api = Blueprint("planning_api", __name__, url_prefix="/api/v1")

_MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
_TEXT_OUT = {"type": "string"}
FISCAL_YEAR = {"type": "integer", "minimum": FISCAL_YEAR_MIN, "maximum": FISCAL_YEAR_MAX,
               "description": "Named by the calendar year it ends in (the consortium's fiscal year start month)"}
WEIGHT = {"type": "string", "pattern": r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$", "example": "0.25",
          "x-error": "Enter a weight from 0 to 1 with at most 4 decimals, such as \"0.25\"."}
FUNDING_LINE = {"type": "object", "additionalProperties": False, "required": ["source", "amount"],
                "properties": {"source": {"type": "string", "enum": list(FUNDING_SOURCES)}, "amount": POSITIVE_MONEY}}
_NEED_PROPERTIES = {
    "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
    "problem": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX},
    "category": {"type": "string", "enum": list(CATEGORIES)},
    "estimated_cost": POSITIVE_MONEY,
    "benefits": {"type": "string", "maxLength": TEXT_MAX, "description": "Expected benefits"},
    "fiscal_year": FISCAL_YEAR,
    "funding": {"type": "array", "maxItems": len(FUNDING_SOURCES), "items": FUNDING_LINE,
                "description": "The funding plan, one line per source; the amounts together never exceed the "
                               "estimated cost (400 otherwise)"},
}
NEED_IN = {"type": "object", "additionalProperties": False,
           "required": ["title", "problem", "category", "estimated_cost", "fiscal_year"],
           "properties": _NEED_PROPERTIES}
NEED_PATCH = {"type": "object", "additionalProperties": False, "properties": _NEED_PROPERTIES}
OUTCOME = {"type": "object", "required": ["kind", "label", "status", "url"],
           "properties": {"kind": {"type": "string", "enum": ["rfi", "pilot", "vehicle", "order"]},
                          "label": _TEXT_OUT, "status": _TEXT_OUT, "url": _TEXT_OUT}}
FINANCE_LINE = {"type": "object", "required": ["source", "amount", "label", "url"],
                "properties": {"source": {"type": "string", "enum": list(FUNDING_SOURCES)}, "amount": _MONEY_OUT,
                               "label": _TEXT_OUT, "url": _TEXT_OUT}}
NEED_OUT = {
    "type": "object",
    "required": ["id", "member_id", "title", "category", "estimated_cost", "fiscal_year", "funding", "status"],
    "properties": {
        "id": ID, "reference": _TEXT_OUT, "member_id": ID, "member": _TEXT_OUT, "title": _TEXT_OUT,
        "problem": _TEXT_OUT, "category": {"type": "string", "enum": list(CATEGORIES)}, "estimated_cost": _MONEY_OUT,
        "benefits": _TEXT_OUT, "fiscal_year": {"type": "integer"},
        "funding": {"type": "array", "items": {"type": "object", "properties": {
            "source": {"type": "string", "enum": list(FUNDING_SOURCES)}, "amount": _MONEY_OUT}}},
        "funded": _MONEY_OUT, "unfunded": _MONEY_OUT, "status": {"type": "string", "enum": list(NEED_STATUSES)},
        "created_at": {"type": "string"}, "submitted_at": {"type": ["string", "null"]},
        "financing": {"type": "array", "items": FINANCE_LINE}, "outcomes": {"type": "array", "items": OUTCOME},
    },
}
NEED_LIST_PARAMS = [
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(NEED_STATUSES)}},
    {"name": "category", "in": "query", "schema": {"type": "string", "enum": list(CATEGORIES)}},
    {"name": "fiscal_year", "in": "query", "schema": FISCAL_YEAR},
    {"name": "member_id", "in": "query", "schema": ID},
    *PAGE_PARAMS,
]
CRITERION = {"type": "object", "additionalProperties": False, "required": ["name", "weight"],
             "properties": {"name": {"type": "string", "minLength": 1, "maxLength": CRITERION_MAX}, "weight": WEIGHT}}
ROUND_IN = {
    "type": "object", "additionalProperties": False, "required": ["title", "fiscal_year", "budget", "criteria"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX}, "fiscal_year": FISCAL_YEAR,
        "budget": {**POSITIVE_MONEY, "description": "The budget envelope"},
        "criteria": {"type": "array", "minItems": 1, "maxItems": MAX_CRITERIA, "items": CRITERION,
                     "description": "Weighted criteria; the weights add up to exactly 1 (400 otherwise)"},
    },
}
ROUND_NEED_IN = {"type": "object", "additionalProperties": False, "required": ["need_id"],
                 "properties": {"need_id": ID}}
RATINGS_IN = {
    "type": "object", "additionalProperties": False, "required": ["need_id", "ratings"],
    "properties": {
        "need_id": ID,
        "ratings": {"type": "object", "minProperties": 1, "maxProperties": MAX_CRITERIA,
                    "additionalProperties": {"type": "integer", "minimum": RATING_MIN, "maximum": RATING_MAX},
                    "description": "{criterion name: rating 1–5}; some or all criteria"},
    },
}
RANK_ROW = {"type": "object", "required": ["need_id", "title", "cost", "score", "rank", "selected"],
            "properties": {"need_id": ID, "title": _TEXT_OUT, "member": _TEXT_OUT, "cost": _MONEY_OUT,
                           "score": {"type": ["string", "null"]}, "rank": {"type": ["integer", "null"]},
                           "selected": {"type": ["boolean", "null"]}, "reason": {"type": "string"}}}
ROUND_OUT = {
    "type": "object",
    "required": ["id", "owner_id", "title", "fiscal_year", "budget", "criteria", "status", "ranking",
                 "selected_total", "remaining"],
    "properties": {
        "id": ID, "reference": _TEXT_OUT, "owner_id": ID, "owner": _TEXT_OUT, "regional": {"type": "boolean"},
        "title": _TEXT_OUT, "fiscal_year": {"type": "integer"}, "budget": _MONEY_OUT,
        "criteria": {"type": "array", "items": {"type": "object", "properties": {
            "name": _TEXT_OUT, "weight": {"type": "string"}}}},
        "status": {"type": "string", "enum": ["open", "closed"]},
        "candidates": {"type": "array", "items": {"type": "object", "properties": {
            "need_id": ID, "title": _TEXT_OUT, "member": _TEXT_OUT, "cost": _MONEY_OUT,
            "ratings": {"type": "object", "additionalProperties": {"type": "integer"}}, "rated": {"type": "boolean"}}}},
        "ranking": {"type": "array", "items": RANK_ROW,
                    "description": "Final once closed; while open, what closing now would give"},
        "final": {"type": "boolean"}, "selected_total": _MONEY_OUT, "remaining": _MONEY_OUT,
        "closed_at": {"type": ["string", "null"]},
    },
}
_AMOUNTS = {"type": "object", "additionalProperties": _MONEY_OUT}
ROADMAP_OUT = {
    "type": "object", "required": ["member_id", "member", "fiscal_year_start_month", "years", "totals"],
    "properties": {
        "member_id": ID, "member": _TEXT_OUT, "fiscal_year_start_month": {"type": "integer"},
        "years": {"type": "array", "items": {"type": "object", "properties": {
            "fiscal_year": {"type": "integer"}, "starts_on": {"type": "string"}, "ends_on": {"type": "string"},
            "cost": _MONEY_OUT, "planned": _AMOUNTS, "planned_total": _MONEY_OUT, "financed": _AMOUNTS,
            "financed_total": _MONEY_OUT, "needs": {"type": "array", "items": NEED_OUT}}}},
        "totals": {"type": "object", "properties": {
            "cost": _MONEY_OUT, "planned": _AMOUNTS, "planned_total": _MONEY_OUT, "financed": _AMOUNTS,
            "financed_total": _MONEY_OUT}},
    },
}


def _cents(value) -> str:
    return f"{value:.2f}"


def _iso(value):
    return value.isoformat() if value is not None else None


def need_json(need: Need, financing=None, outcomes=None) -> dict:
    data = {
        "id": need.id, "reference": need.reference, "member_id": need.member_id, "member": need.member.name,
        "title": need.title, "problem": need.problem, "category": need.category,
        "estimated_cost": _cents(need.estimated_cost), "benefits": need.benefits or "", "fiscal_year": need.fiscal_year,
        "funding": [{"source": s, "amount": _cents(a)} for s, a in need.funding_lines],
        "funded": _cents(need.funded), "unfunded": _cents(need.unfunded), "status": need.status,
        "created_at": _iso(need.created_at), "submitted_at": _iso(need.submitted_at),
    }
    if financing is not None:
        data["financing"] = [{"source": f.source, "amount": _cents(f.amount), "label": f.label, "url": f.url}
                             for f in financing]
    if outcomes is not None:
        data["outcomes"] = [{"kind": o.kind, "label": o.label, "status": o.status, "url": o.url} for o in outcomes]
    return data


def _need_detail(need: Need) -> dict:
    return need_json(need, queries.financing_of([need]), queries.outcomes_of([need]).get(need.id, []))


def round_json(round_: PriorityRound) -> dict:
    result = services.round_result(round_)
    ranking = []
    for row in result.rows:
        item = {"need_id": row.need.id, "title": row.need.title, "member": row.need.member.name,
                "cost": _cents(row.need.estimated_cost), "score": None if row.score is None else format(row.score, "f"),
                "rank": row.rank, "selected": row.selected}
        if row.reason:
            item["reason"] = row.reason
        ranking.append(item)
    names = round_.criterion_names
    return {
        "id": round_.id, "reference": round_.reference, "owner_id": round_.owner_id, "owner": round_.owner.name,
        "regional": round_.is_regional, "title": round_.title, "fiscal_year": round_.fiscal_year,
        "budget": _cents(round_.budget), "criteria": round_.criteria, "status": round_.status,
        "candidates": [{"need_id": c.need_id, "title": c.need.title, "member": c.need.member.name,
                        "cost": _cents(c.need.estimated_cost), "ratings": c.ratings or {},
                        "rated": all((c.ratings or {}).get(n) is not None for n in names)}
                       for c in round_.candidates],
        "ranking": ranking, "final": result.final, "selected_total": _cents(result.selected_total),
        "remaining": _cents(result.remaining), "closed_at": _iso(round_.closed_at),
    }


def _amounts(totals: dict) -> dict:
    return {source: _cents(amount) for source, amount in totals.items()}


def roadmap_json(roadmap: queries.Roadmap) -> dict:
    years = []
    for year in roadmap.years:
        years.append({
            "fiscal_year": year.fiscal_year, "starts_on": year.start.isoformat(), "ends_on": year.end.isoformat(),
            "cost": _cents(year.cost), "planned": _amounts(year.planned), "planned_total": _cents(year.planned_total),
            "financed": _amounts(year.financed), "financed_total": _cents(year.financed_total),
            "needs": [need_json(item.need, item.financing, item.outcomes) for item in year.needs]})
    return {"member_id": roadmap.member.id, "member": roadmap.member.name,
            "fiscal_year_start_month": roadmap.start_month, "years": years,
            "totals": {"cost": _cents(roadmap.cost), "planned": _amounts(roadmap.planned),
                       "planned_total": _cents(roadmap.planned_total), "financed": _amounts(roadmap.financed),
                       "financed_total": _cents(roadmap.financed_total)}}


# --- needs ----------------------------------------------------------------------------------------------


@operation(api, "/needs", "GET", summary="Needs you may see: your member's, every member's past the draft (pooled "
           "demand), all for the office", tag="planning", query=NEED_LIST_PARAMS,
           response={"type": "object", "required": ["results", "total"],
                     "properties": {"results": {"type": "array", "items": NEED_OUT}, "total": {"type": "integer"}}},
           csv=True)
def list_needs():
    queries.in_consortium()
    page, per_page = paginate_args()
    stmt, fields = queries.filtered_needs_stmt(current_user, request.args)
    if fields:
        raise ValidationFailed("Invalid filter.", fields)
    if wants_csv():
        return NEED_COLUMNS.response("needs.csv", stream_scalars(stmt.options(joinedload(Need.member))
                                                                 .order_by(Need.id.desc())))
    total = db.session.scalar(stmt.with_only_columns(func.count(Need.id)).order_by(None))
    needs = db.session.scalars(stmt.options(joinedload(Need.member)).order_by(Need.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify({"results": [need_json(n) for n in needs], "total": total})


@operation(api, "/needs", "POST", summary="Record a need of your member city (a draft)", tag="planning",
           body=NEED_IN, response=NEED_OUT, status=201)
def create_need(data):
    need = services.create_need(consortium_or_404(), data, actor=current_user)
    db.session.commit()
    return created(_need_detail(need))


@operation(api, "/needs/<int:need_id>", "GET", summary="A need with its funding plan, financing and what became of "
           "it", tag="planning", response=NEED_OUT)
def get_need(need_id):
    return jsonify(_need_detail(queries.get_need_or_404(need_id)))


@operation(api, "/needs/<int:need_id>", "PATCH", summary="Change a need's content while it is a draft or submitted",
           tag="planning", body=NEED_PATCH, response=NEED_OUT)
def update_need(need_id, data):
    need = services.update_need(queries.get_need_or_404(need_id), data, actor=current_user)
    db.session.commit()
    return jsonify(_need_detail(need))


@operation(api, "/needs/<int:need_id>/submit", "POST", summary="Put a draft need forward (the consortium sees it)",
           tag="planning", response=NEED_OUT)
def submit_need(need_id, data):
    need = services.submit_need(queries.get_need_or_404(need_id), actor=current_user)
    db.session.commit()
    return jsonify(_need_detail(need))


# --- priority rounds ------------------------------------------------------------------------------------


@operation(api, "/priority-rounds", "POST", summary="Start your member's priority round (an approver), or a regional "
           "round (the office)", tag="planning", body=ROUND_IN, response=ROUND_OUT, status=201)
def create_round(data):
    round_ = services.start_round(consortium_or_404(), data, actor=current_user)
    db.session.commit()
    return created(round_json(round_))


@operation(api, "/priority-rounds/<int:round_id>", "GET", summary="A priority round: criteria, candidates, ratings "
           "and the ranking", tag="planning", response=ROUND_OUT)
def get_round(round_id):
    return jsonify(round_json(queries.get_round_or_404(round_id)))


@operation(api, "/priority-rounds/<int:round_id>/needs", "POST", summary="Add a submitted (or deferred) need to an "
           "open round", tag="planning", body=ROUND_NEED_IN, response=ROUND_OUT, status=201)
def add_round_need(round_id, data):
    round_ = services.add_candidate(queries.get_round_or_404(round_id), data, actor=current_user)
    db.session.commit()
    return created(round_json(round_))


@operation(api, "/priority-rounds/<int:round_id>/ratings", "PUT", summary="Rate a candidate 1–5 on some or all "
           "criteria (409 once the round is closed)", tag="planning", body=RATINGS_IN, response=ROUND_OUT)
def rate_round_need(round_id, data):
    round_ = services.rate_need(queries.get_round_or_404(round_id), data, actor=current_user)
    db.session.commit()
    return jsonify(round_json(round_))


@operation(api, "/priority-rounds/<int:round_id>/close", "POST", summary="Close the round: rank by score and select "
           "within the envelope (409 while a candidate lacks a rating)", tag="planning", response=ROUND_OUT)
def close_round(round_id, data):
    round_ = services.close_round(queries.get_round_or_404(round_id), actor=current_user)
    db.session.commit()
    return jsonify(round_json(round_))


# --- the roadmap ----------------------------------------------------------------------------------------


@operation(api, "/roadmap", "GET", summary="A member's capital roadmap: selected needs by fiscal year, funding by "
           "source, financing recorded and what became of each need", tag="planning",
           query=[{"name": "member_id", "in": "query", "schema": ID,
                   "description": "The member (default: yours; required for the office)"}],
           response=ROADMAP_OUT)
def get_roadmap():
    member = queries.roadmap_member_or_404(request.args.get("member_id"))
    return jsonify(roadmap_json(queries.roadmap(member, consortium_or_404())))
