"""Signed participation: the member's approver signs, the office countersigns (which executes the addendum),
changed terms void the signatures, the PDF prints both signature blocks and the digest, and a verification
page says whether a copy's digest matches."""

import html
import io
import re

from flask import has_app_context
from pypdf import PdfReader, PdfWriter
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from contracts.vehicles.models import Participation, Vehicle
from contracts.vehicles.signing.models import Signature
from contracts.vehicles.signing.terms import canonical_text, terms_digest
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests import conftest
from tests.conftest import fetch
from tests.contracts.factories import COUNTERSIGN, SIGN, make_participation, make_vehicle

P = "/c/gpsr/participations"
A = "/api/v1/participations"


def _requested(app, approver="approver@mesa.example", **data) -> int:
    with app.test_request_context():
        participation_id = make_participation(make_vehicle("active"), approver=approver, **data).id
        db.session.commit()
    return participation_id


def _signatures(participation_id: int) -> list[Signature]:
    """The participation's signatures, oldest first (detached when read outside a request)."""
    stmt = select(Signature).where(Signature.participation_id == participation_id).order_by(Signature.id)
    if has_app_context():
        return list(db.session.scalars(stmt))
    with conftest._APP.app_context():
        rows = list(db.session.scalars(stmt.options(selectinload(Signature.signer))))
        db.session.expunge_all()
        return rows


def _status(participation_id: int) -> str:
    return fetch(select(Participation.status).where(Participation.id == participation_id))


def _text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    reader = PdfReader(io.BytesIO(response.data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _digest_in(text: str) -> str:
    return re.search(r"SHA-256 of the terms signed: ([0-9a-f]{64})", text).group(1)


def test_member_signs_then_the_office_countersigns_and_both_store_the_digest(app, client, api_token):
    pid = _requested(app, member_not_to_exceed="250000.00", special_terms="Invoices to Public Works.")
    mesa, admin = api_token("approver@mesa.example"), api_token("admin@gpsr.example")
    signed = client.post(f"{A}/{pid}/sign?consortium=gpsr", json={**SIGN, "name": "Dana Ortiz"}, headers=mesa)
    assert signed.status_code == 200, signed.get_json()
    assert signed.get_json()["status"] == "requested"
    executed = client.post(f"{A}/{pid}/approve?consortium=gpsr", json=COUNTERSIGN, headers=admin).get_json()
    assert executed["status"] == "executed"
    with app.app_context():
        participation = db.session.get(Participation, pid)
        digest = terms_digest(participation)
        assert '"member_not_to_exceed":"250000.00"' in canonical_text(participation)
        member, office = _signatures(pid)
        assert (member.role, member.name, member.title, member.authority) == (
            "member", "Dana Ortiz", "City Manager", SIGN["authority"])
        assert (office.role, office.name, office.signer.email) == ("office", "GPSR Program Office",
                                                                   "admin@gpsr.example")
        assert member.terms_sha256 == office.terms_sha256 == digest and len(digest) == 64
    assert [s["terms_sha256"] for s in executed["signing"]["signatures"]] == [digest, digest]
    with app.app_context():
        actions = [a for (a,) in db.session.execute(select(AuditEvent.action).where(
            AuditEvent.object_type == "participation", AuditEvent.object_id == pid).order_by(AuditEvent.id))]
    assert actions == ["participation.requested", "participation.signed", "participation.executed"]


def test_the_office_cannot_countersign_before_the_member_signed(app, client, api_token, login):
    pid = _requested(app)
    admin = api_token("admin@gpsr.example")
    refused = client.post(f"{A}/{pid}/approve?consortium=gpsr", json=COUNTERSIGN, headers=admin)
    assert refused.status_code == 409
    assert refused.get_json()["error"]["message"] == ("Mesa has not signed this addendum yet: the consortium office "
                                                     "countersigns after the member's approver has signed.")
    login("admin@gpsr.example")
    page = client.post(f"{P}/{pid}/approve", data=COUNTERSIGN)
    assert page.status_code == 409 and "Mesa has not signed this addendum yet" in _text(page)
    assert _status(pid) == "requested" and _signatures(pid) == []


def test_changing_the_terms_voids_the_signatures_and_both_sign_again(app, client, api_token, login):
    pid = _requested(app, member_not_to_exceed="100000.00")
    mesa, admin = api_token("approver@mesa.example"), api_token("admin@gpsr.example")
    assert client.post(f"{A}/{pid}/sign?consortium=gpsr", json=SIGN, headers=mesa).status_code == 200
    first = _signatures(pid)[0].terms_sha256
    changed = client.patch(f"{A}/{pid}/terms?consortium=gpsr", json={"member_not_to_exceed": "80000.00"},
                           headers=admin)
    assert changed.status_code == 200, changed.get_json()
    [voided] = _signatures(pid)
    assert voided.voided_at is not None
    assert voided.voided_reason == "The terms changed after signing: member not-to-exceed $100,000.00 → $80,000.00."
    event = fetch(select(AuditEvent).where(AuditEvent.action == "participation.signatures_voided",
                                           AuditEvent.object_id == pid))
    assert event.before["terms_sha256"] == first and event.after["terms_sha256"] != first
    assert event.before["signatures"][0]["name"] == "Mesa Champion"
    # The office cannot countersign the old signature; the member signs the new terms first.
    again = client.post(f"{A}/{pid}/approve?consortium=gpsr", json=COUNTERSIGN, headers=admin)
    assert again.status_code == 409 and "has not signed" in again.get_json()["error"]["message"]
    login("approver@mesa.example")
    page = _text(client.get(f"{P}/{pid}"))
    assert "For Mesa: not signed yet." in page and "Voided signatures (1)" in page
    assert client.post(f"{P}/{pid}/sign", data=SIGN).status_code == 302
    assert client.post(f"{A}/{pid}/approve?consortium=gpsr", json=COUNTERSIGN, headers=admin).status_code == 200
    current = [s for s in _signatures(pid) if s.voided_at is None]
    assert {s.terms_sha256 for s in current} == {event.after["terms_sha256"]} and len(current) == 2


def test_an_executed_addendums_terms_cannot_change(app, client, api_token, login):
    with app.test_request_context():
        pid = make_participation(make_vehicle("active"), "executed", special_terms="Net 30").id
        db.session.commit()
    refused = client.patch(f"{A}/{pid}/terms?consortium=gpsr", json={"special_terms": "Net 60"},
                           headers=api_token("approver@mesa.example"))
    assert refused.status_code == 409
    assert re.fullmatch(r"This request to join was approved at .* by GPSR Program Office, so it cannot be edited now\.",
                        refused.get_json()["error"]["message"])
    login("admin@gpsr.example")
    assert client.post(f"{P}/{pid}/terms", data={"special_terms": "Net 60"}).status_code == 409
    assert fetch(select(Participation.special_terms).where(Participation.id == pid)) == "Net 30"


def test_only_the_members_approver_signs_and_the_authority_is_required(app, client, api_token, login):
    pid = _requested(app)
    buyer = client.post(f"{A}/{pid}/sign?consortium=gpsr", json=SIGN, headers=api_token("buyer@mesa.example"))
    assert buyer.status_code == 403
    assert buyer.get_json()["error"]["message"] == ("Only the member's approver (champion) signs its participating "
                                                    "addendum.")
    missing = client.post(f"{A}/{pid}/sign?consortium=gpsr", json={"title": "City Manager"},
                          headers=api_token("approver@mesa.example"))
    assert missing.status_code == 400
    assert missing.get_json()["error"]["fields"]["authority"].startswith("State your authority to sign")
    login("approver@mesa.example")
    form = client.get(f"{P}/{pid}/sign")
    assert 'value="Mesa Champion"' in form.get_data(as_text=True)  # the name defaults to the signer's
    page = client.post(f"{P}/{pid}/sign", data={"name": "Mesa Champion", "title": "City Manager", "authority": ""})
    assert page.status_code == 400 and "State your authority to sign" in _text(page)
    assert 'value="City Manager"' in page.get_data(as_text=True)  # what was typed is kept
    assert _signatures(pid) == []
    other = client.post(f"{A}/{pid}/sign?consortium=gpsr", json=SIGN, headers=api_token("approver@boulder.example"))
    assert other.status_code == 404


def test_the_pdf_prints_both_signature_blocks_and_the_digest(app, client, login):
    pid = _requested(app, member_not_to_exceed="120000.00")
    login("approver@mesa.example")
    client.post(f"{P}/{pid}/sign", data={**SIGN, "name": "Dana Ortiz"})
    login("admin@gpsr.example")
    assert client.get(f"{P}/{pid}/approve").status_code == 200
    assert client.post(f"{P}/{pid}/approve", data={**COUNTERSIGN, "name": "Lee Park"}).status_code == 302
    text = _pdf_text(client.get(f"{P}/{pid}/addendum.pdf"))
    with app.app_context():
        digest = terms_digest(db.session.get(Participation, pid))
    for expected in ("Signed: Dana Ortiz", "Title: City Manager", f"Authority: {SIGN['authority']}",
                     "Signed: Lee Park", "Title: Executive Director", "Authority: Board delegation of 12 Jan 2026",
                     "Member not-to-exceed $120,000.00", " MST"):
        assert expected in text, expected
    assert _digest_in(text) == digest


def test_the_verify_page_says_whether_a_digest_matches(app, client, login):
    pid = _requested(app)
    login("approver@mesa.example")
    client.post(f"{P}/{pid}/sign", data=SIGN)
    signed = _signatures(pid)[0].terms_sha256
    login("buyer@mesa.example")  # anyone who can see the participation
    page = _text(client.get(f"{P}/{pid}/verify", query_string={"digest": signed.upper()[:32] + "\n" + signed[32:]}))
    assert "It matches the terms Mesa signed." in page and "Signed by Mesa Champion (City Manager)" in page
    assert "has not countersigned yet" in page
    wrong = _text(client.get(f"{P}/{pid}/verify", query_string={"digest": "a" * 64}))
    assert "It does not match." in wrong and "a different document" in wrong
    bad = client.get(f"{P}/{pid}/verify", query_string={"digest": "not-a-digest"})
    assert bad.status_code == 400 and "A digest is 64 characters 0-9 and a-f" in _text(bad)
    # The member changes the terms: the signed digest is now of superseded terms.
    login("approver@mesa.example")
    assert client.post(f"{P}/{pid}/terms", data={"special_terms": "Net 45."}).status_code == 302
    old = _text(client.get(f"{P}/{pid}/verify", query_string={"digest": signed}))
    assert "It does not match the signed terms." in old and "special terms changed" in old
    # Signed again and countersigned: the new digest matches the executed addendum.
    client.post(f"{P}/{pid}/sign", data=SIGN)
    login("admin@gpsr.example")
    client.post(f"{P}/{pid}/approve", data=COUNTERSIGN)
    digest = _digest_in(_pdf_text(client.get(f"{P}/{pid}/addendum.pdf")))
    ok = _text(client.get(f"{P}/{pid}/verify", query_string={"digest": digest}))
    assert "It matches the signed terms." in ok and "signed by Mesa Champion" in ok and "GPSR Program Office" in ok


def test_the_verify_page_reads_the_digest_from_the_uploaded_pdf(app, client, login):
    pid = _requested(app)
    login("approver@mesa.example")
    client.post(f"{P}/{pid}/sign", data=SIGN)
    login("admin@gpsr.example")
    client.post(f"{P}/{pid}/approve", data=COUNTERSIGN)
    pdf = client.get(f"{P}/{pid}/addendum.pdf").data
    login("buyer@mesa.example")  # anyone who can see the participation

    def check(content: bytes, name: str = "addendum.pdf"):
        return client.post(f"{P}/{pid}/verify", data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")

    ok = check(pdf, "PA-GPSR-1.pdf")
    assert ok.status_code == 200
    assert "It matches the signed terms." in _text(ok) and "The digest printed in PA-GPSR-1.pdf" in _text(ok)
    assert _signatures(pid)[0].terms_sha256 in _text(ok)
    blank = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.write(blank)
    for content, name, message in [
        (b"", "empty.pdf", "Choose the addendum's PDF file."),
        (b"\x7fELF" + b"\0" * 64, "addendum.pdf", "Upload a PDF"),
        (b"%PDF-1.4\nnot really a pdf\n%%EOF\n", "broken.pdf", "This PDF cannot be read."),
        (blank.getvalue(), "other.pdf", "No addendum digest is printed in this file"),
    ]:
        refused = check(content, name)
        page = html.unescape(refused.get_data(as_text=True))
        assert refused.status_code == 400, name
        assert 'class="usa-error-message"' in page and message in page, name
        assert 'data-testid="verdict"' not in page, name


def test_an_addendum_executed_before_signatures_were_recorded_says_so(app, client, login):
    with app.test_request_context():
        pid = make_participation(make_vehicle("active"), "executed").id
        db.session.execute(delete(Signature).where(Signature.participation_id == pid))  # as the migration leaves them
        db.session.commit()
    login("approver@mesa.example")
    assert "Executed before signatures were recorded" in _text(client.get(f"{P}/{pid}"))
    text = _pdf_text(client.get(f"{P}/{pid}/addendum.pdf"))
    assert "before signatures were recorded" in text
    verdict = _text(client.get(f"{P}/{pid}/verify", query_string={"digest": _digest_in(text)}))
    assert "It matches the terms of this addendum." in verdict and "no signature is on file" in verdict


def test_the_demo_addendum_of_tempe_is_signed_by_both_sides(app):
    with app.app_context():
        vehicle = db.session.scalar(select(Vehicle).where(Vehicle.number == "GPSR-2026-001"))
        tempe = next(p for p in vehicle.participations if p.member.name == "Tempe")
        signatures = [s for s in _signatures(tempe.id) if s.voided_at is None]
        assert tempe.status == "executed" and {s.role for s in signatures} == {"member", "office"}
        assert {s.terms_sha256 for s in signatures} == {terms_digest(tempe)}
