"""JSON API of the dashboard's spend figures (DESIGN section 7): `GET /api/v1/reports/spend`."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from consortium.context import current_consortium
from contracts.orders.queries import in_consortium
from contracts.reporting.dashboards import queries
from contracts.reporting.dashboards.validation import GROUPS, parse_filters
from marketplace.api import operation

api = Blueprint("dashboards_api", __name__, url_prefix="/api/v1")

_MONEY_OUT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
SPEND_ROW = {"type": "object", "required": ["key", "label", "committed", "invoiced", "paid"],
             "properties": {"key": {"type": "string", "description": "The member's, vehicle's or vendor's id, the "
                                                                     "category code or the quarter (\"2026Q3\")"},
                            "label": {"type": "string"}, "committed": _MONEY_OUT, "invoiced": _MONEY_OUT,
                            "paid": _MONEY_OUT}}
SPEND_OUT = {
    "type": "object", "required": ["group_by", "from", "to", "rows", "totals"],
    "properties": {
        "group_by": {"type": "string", "enum": list(GROUPS)},
        "from": {"type": ["string", "null"], "format": "date"},
        "to": {"type": ["string", "null"], "format": "date"},
        "rows": {"type": "array", "items": SPEND_ROW},
        "totals": {"type": "object", "required": ["committed", "invoiced", "paid"],
                   "properties": {"committed": _MONEY_OUT, "invoiced": _MONEY_OUT, "paid": _MONEY_OUT}},
    },
}
SPEND_PARAMS = [
    {"name": "group_by", "in": "query", "required": False,
     "description": "How rows are grouped (default: vehicle for a member's staff, member otherwise). Quarters: of "
                    "the order's submission for committed, of the invoice's issue date for invoiced and paid.",
     "schema": {"type": "string", "enum": list(GROUPS)}},
    {"name": "from", "in": "query", "required": False, "description": "First day counted (YYYY-MM-DD)",
     "schema": {"type": "string", "format": "date"}},
    {"name": "to", "in": "query", "required": False, "description": "Last day counted (YYYY-MM-DD), not before from",
     "schema": {"type": "string", "format": "date"}},
]


@operation(api, "/reports/spend", "GET", tag="reports", query=SPEND_PARAMS, response=SPEND_OUT,
           errors=(400, 401, 404),
           summary="Spend committed, invoiced and paid, grouped by member, vehicle, vendor, category or quarter, "
                   "over the orders the caller may see; money as strings")
def spend():
    in_consortium()
    filters = parse_filters(request.args, default_group=queries.default_group(current_user))
    result = queries.spend(current_user, current_consortium(), filters)
    return jsonify({
        "group_by": filters.group_by,
        "from": filters.start.isoformat() if filters.start else None,
        "to": filters.end.isoformat() if filters.end else None,
        "rows": [row.to_json() for row in result.rows],
        "totals": {key: value for key, value in result.totals.to_json().items()
                   if key in ("committed", "invoiced", "paid")},
    })
