"""Signing pages: the member signs, the office countersigns (at the old `approve` address, which now
executes the addendum only as a countersignature), the terms of a requested addendum change, and anyone who
can see a participation checks a downloaded addendum's digest."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from consortium.context import require
from contracts.vehicles import queries as vehicle_queries
from contracts.vehicles.forms import JoinForm
from contracts.vehicles.models import Participation
from contracts.vehicles.signing import permissions, queries, services
from contracts.vehicles.signing.forms import AddendumFileForm, CountersignForm, DigestForm, SignatureForm
from contracts.vehicles.signing.validation import PDF_MAX_BYTES, clean_digest, digest_in_pdf
from marketplace.confirm import check_step
from marketplace.errors import Conflict, DomainError, ValidationFailed
from marketplace.extensions import db
from marketplace.formerrors import refuse_form

bp = Blueprint("signing", __name__, url_prefix="/c/<consortium_slug>", template_folder="../../templates")


@bp.app_template_global()
def participation_signing(participation: Participation) -> dict:
    """What the participation page and the addendum PDF show about signatures: the current ones by role,
    the voided ones, the digest of the current terms, and whether it predates signatures."""
    return queries.signing_summary(participation)


def _visible(participation_id: int) -> Participation:
    require(True)
    return vehicle_queries.visible_participation_or_404(participation_id, current_user)


def _page(participation_id: int):
    return redirect(url_for("vehicles.participation", participation_id=participation_id))


def _step_page(item: Participation, step: str, allowed: bool):
    """GET of a step's page: 403 without the right; the participation page with the sentence (303) when the
    step is no longer possible (already signed, executed, declined)."""
    require(allowed)
    try:
        check_step(services.LIFECYCLE, step, current_user, item)
    except Conflict as err:
        flash(err.message, "error")
        return _page(item.id), 303
    return None


def _submit(item: Participation, form, action, template: str, message: str):
    """POST of a step's form: field problems on the form (400), a refused step on it with the sentence (409)."""
    status = 400
    if form.validate():
        try:
            action(item, form.to_data(), actor=current_user)
        except ValidationFailed as err:
            refuse_form(form, err)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
            status = 409
        else:
            db.session.commit()
            flash(message.format(member=item.member.name, number=item.vehicle.number), "success")
            return _page(item.id)
    item = _visible(item.id)
    return render_template(template, participation=item, vehicle=item.vehicle, form=form,
                           signing=participation_signing(item)), status


def _signature_step(participation_id: int, step: str, allowed, form, action, template: str, message: str):
    """The member's signature and the office's countersignature: the form (the signer's name filled in) on
    GET, the signature on POST."""
    item = _visible(participation_id)
    if request.method == "GET":
        refused = _step_page(item, step, allowed(current_user, item))
        if refused:
            return refused
        form.name.data = current_user.name
        return render_template(template, participation=item, vehicle=item.vehicle, form=form,
                               signing=participation_signing(item))
    require(allowed(current_user, item))
    return _submit(item, form, action, template, message)


@bp.route("/participations/<int:participation_id>/sign", methods=["GET", "POST"])
def sign(participation_id: int):
    return _signature_step(participation_id, "sign", permissions.can_sign_participation, SignatureForm(),
                           services.sign_participation, "contracts/vehicles/signing/sign.html",
                           "You signed {member}'s participating addendum to {number}. The consortium office "
                           "countersigns it next.")


@bp.route("/participations/<int:participation_id>/approve", methods=["GET", "POST"])
def countersign(participation_id: int):
    return _signature_step(participation_id, "approve", permissions.can_countersign_participation, CountersignForm(),
                           services.countersign_participation, "contracts/vehicles/signing/countersign.html",
                           "{member}'s participating addendum to {number} is countersigned and executed.")


@bp.route("/participations/<int:participation_id>/terms", methods=["GET", "POST"])
def terms(participation_id: int):
    item = _visible(participation_id)
    form = JoinForm()
    if request.method == "GET":
        refused = _step_page(item, "edit_terms", permissions.can_edit_participation_terms(current_user, item))
        if refused:
            return refused
        form.member_not_to_exceed.data = services.current_terms(item)["member_not_to_exceed"] or ""
        form.special_terms.data = item.special_terms
        return render_template("contracts/vehicles/signing/terms.html", participation=item, vehicle=item.vehicle,
                               form=form, signing=participation_signing(item))
    require(permissions.can_edit_participation_terms(current_user, item))
    return _submit(item, form, services.edit_terms, "contracts/vehicles/signing/terms.html",
                   "The terms of {member}'s addendum to {number} are saved.")


@bp.route("/participations/<int:participation_id>/verify")
def verify(participation_id: int):
    """Check a digest copied from a downloaded addendum (a GET form: nothing changes)."""
    item = _visible(participation_id)
    require(permissions.can_verify_addendum(current_user, item))
    form, verdict, status = DigestForm(request.args), None, 200
    if "digest" in request.args:
        try:
            verdict = queries.verify(item, clean_digest(form.digest.data))
        except ValidationFailed as err:
            form.digest.errors = [err.fields["digest"]]
            status = 400
    return _verify_page(item, form, AddendumFileForm(), verdict), status


@bp.route("/participations/<int:participation_id>/verify", methods=["POST"])
def verify_file(participation_id: int):
    """Check the PDF itself: its printed digest is read from its text (nothing is stored or changed)."""
    item = _visible(participation_id)
    require(permissions.can_verify_addendum(current_user, item))
    file_form = AddendumFileForm()
    upload = request.files.get("file")
    try:
        digest = digest_in_pdf(upload.read(PDF_MAX_BYTES + 1) if upload else b"")
    except ValidationFailed as err:
        file_form.file.errors = [err.fields["file"]]
        return _verify_page(item, DigestForm(), file_form, None), 400
    return _verify_page(item, DigestForm(data={"digest": digest}), file_form, queries.verify(item, digest),
                        read_from=upload.filename), 200


def _verify_page(item: Participation, form, file_form, verdict, read_from: str | None = None):
    return render_template("contracts/vehicles/signing/verify.html", participation=item, vehicle=item.vehicle,
                           form=form, file_form=file_form, verdict=verdict, read_from=read_from,
                           signing=participation_signing(item))
