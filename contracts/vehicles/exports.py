"""CSV exports of the vehicle list and the participation list, on the vehicles blueprint (beside its views,
which are long enough already). The filters and visibility are the pages' own."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from consortium.context import require
from contracts.vehicles import permissions, queries
from contracts.vehicles.columns import PARTICIPATION_COLUMNS, VEHICLE_COLUMNS
from contracts.vehicles.models import PARTICIPATION_LABELS, STATUS_LABELS
from contracts.vehicles.views import bp
from marketplace.csvexport import stream_scalars


@bp.route("/vehicles/export.csv")
def vehicles_csv():
    status = request.args.get("status") if request.args.get("status") in STATUS_LABELS else None
    stmt = queries.vehicles_listed_for(current_user, status=status).options(*queries.SUMMARY_OPTIONS)
    return VEHICLE_COLUMNS.response("vehicles.csv", stream_scalars(stmt))


@bp.route("/participations/export.csv")
def participations_csv():
    require(permissions.can_list_participations(current_user))
    status = request.args.get("status") if request.args.get("status") in PARTICIPATION_LABELS else None
    return PARTICIPATION_COLUMNS.response("participations.csv",
                                          stream_scalars(queries.participations_stmt(current_user, status)))
