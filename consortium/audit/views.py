"""The audit log pages: /c/<slug>/audit (sentences, filters, pages of 50) and its CSV export.

Only the consortium's admins read it (consortium.permissions.can_read_audit_log)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from consortium import permissions
from consortium.audit import queries
from consortium.audit.forms import AuditFilterForm
from consortium.audit.sentences import CSV_HEADER, csv_row, sentences
from consortium.audit.validation import AuditFilters, clean_filters
from consortium.context import current_consortium, require
from marketplace.csvexport import csv_response
from marketplace.errors import ValidationFailed
from marketplace.inputs import whole_number
from marketplace.templating import local_zone
from marketplace.tenancy import tenant

bp = Blueprint("audit", __name__, url_prefix="/c/<consortium_slug>/audit", template_folder="../templates")


def _form(actors: list[tuple[int, str]]) -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.fill_choices(actors, queries.object_types(), queries.actions())
    return form


def _refused(err: ValidationFailed):
    form = _form(queries.actors())
    form.attach_errors(err.fields)
    return render_template("consortium/audit/log.html", form=form, page=None, sentences=[], args={}), 400


@bp.route("")
def log():
    require(permissions.can_read_audit_log(current_user))
    try:
        filters = clean_filters(request.args)
    except ValidationFailed as err:
        return _refused(err)
    actors = queries.actors()  # everyone who appears: the filter's choices and the page's names at once
    form = _form(actors)
    zone = local_zone()
    page = queries.page_of(filters, zone, whole_number(request.args.get("page", "1"), low=1, high=99999) or 1)
    names = dict(actors)
    return render_template("consortium/audit/log.html", form=form, page=page, args=filters.as_args(),
                           sentences=sentences(page.events, names, zone), filtered=filters != AuditFilters())


@bp.route("/export.csv")
def export():
    require(permissions.can_read_audit_log(current_user))
    try:
        filters = clean_filters(request.args)
    except ValidationFailed as err:
        return _refused(err)
    zone = local_zone()
    consortium_id = current_consortium().id

    def rows():
        # The body is written after the request's teardown has replaced the database session, and with it
        # the tenant: scope the new one again, or another consortium's events would be written too.
        with tenant(consortium_id):
            for chunk in queries.stream(filters, zone):
                names = queries.names_of({e.actor_id for e in chunk if e.actor_id})
                yield from (csv_row(s) for s in sentences(chunk, names, zone, links=False))

    return csv_response("audit-log.csv", CSV_HEADER, rows())
