"""`GET /api/v1/ocds/releases.json`: the consortium's open contracting data (OCDS 1.1 release package).

Who may read it: like every API route, a request without a token gets 401 before anything else (DESIGN section
7: nothing about tenants leaks to anonymous callers); anyone of the consortium, whatever the role, then gets the
same package, because it holds only what is published as open data (no draft, nothing of another consortium, no
order a member has not submitted). A stranger to the consortium gets 404.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask_login import current_user

from consortium.context import belongs, consortium_or_404
from contracts.reporting.ocds import queries, services
from contracts.vehicles import models as vehicle_models
from marketplace.api import DATETIME, operation
from marketplace.errors import NotFound

api = Blueprint("ocds_api", __name__, url_prefix="/api/v1")

PACKAGE_OUT = {
    "type": "object", "required": ["uri", "version", "publishedDate", "publisher", "releases"],
    "description": "An OCDS 1.1 release package (https://standard.open-contracting.org/1.1/en/schema/"
                   "release_package/). Amounts are JSON numbers, exact to the cent, in USD.",
    "properties": {
        "uri": {"type": "string", "format": "uri"},
        "version": {"type": "string", "enum": [services.OCDS_VERSION]},
        "publishedDate": DATETIME,
        "publisher": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        "releases": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["ocid", "id", "date", "tag", "initiationType"],
            "properties": {"ocid": {"type": "string"}, "id": {"type": "string"}, "date": DATETIME,
                           "tag": {"type": "array", "items": {"type": "string"}},
                           "initiationType": {"type": "string", "enum": ["tender"]}}}},
    },
}


@operation(api, "/ocds/releases.json", "GET", tag="open data", response=PACKAGE_OUT, errors=(401, 404),
           summary="Open contracting data (OCDS 1.1 release package) of the consortium: a release per active, "
                   "expired or terminated vehicle (tender, an award and a contract per awarded vendor with its "
                   "price schedule, value = ceiling) and per submitted order (a call-off linked to its vehicle "
                   "by relatedProcesses, with a transaction per paid invoice). Needs a token of anyone in the "
                   "consortium; every role gets the same package (drafts never appear). 404 while nothing is "
                   "published yet.")
def ocds_releases():
    consortium = consortium_or_404()
    if not belongs(current_user):
        raise NotFound("Not found.")
    data = queries.published(consortium)
    if not data.vehicles:
        raise NotFound("This consortium has no active, expired or terminated vehicle yet: there is no open "
                       "contracting data to publish.")
    uri = f"{current_app.config['BASE_URL']}/api/v1/ocds/releases.json?consortium={consortium.slug}"
    package = services.build_package(data, ocid_template=current_app.config["OCDS_OCID_PREFIX"], uri=uri,
                                     today=vehicle_models.today())
    return jsonify(package)
