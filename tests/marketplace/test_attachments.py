"""Documents: what a person notices when uploading and downloading (marketplace.documents).

Attacks refused: a renamed executable, polyglots (a PDF carrying a ZIP archive or a web page, a ZIP that is no
office document), an oversized body (413, nothing stored), a path in the file name. Downloads: only through the
app, with the owner's visibility, as attachments with nosniff; a vanished file is a logged 404.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.audit import DOCUMENT_ADDED, AuditEvent
from marketplace.documents import storage
from marketplace.documents.models import Document
from marketplace.extensions import db
from tests.marketplace import document_helpers as owners
from tests.marketplace.document_helpers import CSV, PDF, docx, plain_zip

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Document.id)))


def _order_id(app) -> int:
    with app.test_request_context():
        return owners.order().id


def _upload(client, order_id, content, filename="evidence.pdf", title="Evidence"):
    return client.post(f"/c/gpsr/orders/{order_id}/documents", content_type="multipart/form-data",
                       data={"document-title": title, "document-file": (io.BytesIO(content), filename)})


def _api_upload(client, headers, key, owner_id, content, filename="evidence.pdf", title="Evidence"):
    return client.post(f"/api/v1/{key}/{owner_id}/documents?consortium=gpsr", headers=headers,
                       content_type="multipart/form-data",
                       data={"title": title, "file": (io.BytesIO(content), filename)})


def test_a_pdf_is_added_listed_on_the_order_page_and_downloaded_as_an_attachment(app, client, login):
    order_id = _order_id(app)
    login("buyer@mesa.example")
    response = _upload(client, order_id, PDF, filename="Rapport été.pdf", title="Signed purchase order")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/orders/{order_id}#documents")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    assert "Signed purchase order" in page and "Rapport été.pdf" in page and 'enctype="multipart/form-data"' in page
    with app.app_context():
        document = db.session.scalar(select(Document).order_by(Document.id.desc()))
        assert (document.media_type, document.version, document.size) == ("application/pdf", 1, len(PDF))
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == DOCUMENT_ADDED,
                                                           AuditEvent.object_id == document.id))
        assert event.after["sha256"] == document.sha256
    download = client.get(f"/c/gpsr/documents/{document.id}/download")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"Rapport ete.pdf\"; filename*=UTF-8''Rapport%20%C3%A9t%C3%A9.pdf")


@pytest.mark.parametrize(("content", "name", "says"), [
    (ELF, "report.pdf", "a program (ELF executable)"),
    (PE, "invoice.pdf", "a Windows program"),
    (plain_zip(), "budget.xlsx", "not an XLSX, DOCX, ODT or ODS document"),
    (PDF.replace(b"%%EOF", b"") + plain_zip() + b"\n%%EOF\n", "evidence.pdf", "ZIP archive inside"),
    (b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF\n", "evidence.pdf", "web page"),
    (b"<html><body>hi</body></html>", "table.csv", "web page"),
    (b"name;value\nonly one column here\n", "table.csv", "not a CSV table"),
])
def test_files_that_are_not_what_they_claim_are_refused_with_the_allowed_types(app, client, login, content, name,
                                                                                 says):
    order_id, before = _order_id(app), _count(app)
    login("buyer@mesa.example")
    response = _upload(client, order_id, content, filename=name)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert says in page and "PDF, PNG, JPEG, CSV, XLSX, DOCX, ODT or ODS" in page
    assert 'value="Evidence"' in page  # the title typed is kept
    assert _count(app) == before


def test_the_api_refuses_a_renamed_executable_with_the_file_field(app, client, api_token):
    response = _api_upload(client, api_token("buyer@mesa.example"), "orders", _order_id(app), PE, "setup.pdf")
    assert response.status_code == 400 and "Windows program" in response.json["error"]["fields"]["file"]


def test_office_documents_and_csv_are_typed_from_their_content(app, client, api_token):
    headers, order_id = api_token("buyer@mesa.example"), _order_id(app)
    made = _api_upload(client, headers, "orders", order_id, docx(), "notes.bin", title="Notes").json
    assert made["media_type"].endswith("wordprocessingml.document") and made["filename"] == "notes.bin.docx"
    table = _api_upload(client, headers, "orders", order_id, b"\xef\xbb\xbf" + CSV, "readings.csv", "Readings").json
    assert table["media_type"] == "text/csv" and table["filename"] == "readings.csv"


def _raw_upload(client, headers, order_id, quoted_name: bytes):
    """A multipart body written by hand: the file name exactly as a browser quotes it."""
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nEvidence\r\n--XyZ\r\n"
            b"Content-Disposition: form-data; name=\"file\"; filename=\"" + quoted_name + b"\"\r\n"
            b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--XyZ--\r\n")
    return client.post(f"/api/v1/orders/{order_id}/documents?consortium=gpsr", headers=headers, data=body,
                       content_type="multipart/form-data; boundary=XyZ")


@pytest.mark.parametrize(("name", "stored"), [(b"../../etc/passwd.pdf", "passwd.pdf"),
                                              (b"C:\\\\x\\\\y.pdf", "y.pdf"), (b"C:y.pdf", "y.pdf"),
                                              (b"..\\\\..\\\\boot.ini.pdf", "boot.ini.pdf"),
                                              (b"a\\\"b\t.pdf", "ab.pdf")])
def test_a_path_in_the_file_name_is_reduced_to_its_base_name(app, client, api_token, name, stored):
    response = _raw_upload(client, api_token("buyer@mesa.example"), _order_id(app), name)
    made = response.json
    assert response.status_code == 201, made
    assert made["filename"] == stored
    with app.app_context():
        path = storage.path_of(made["sha256"])
        assert path.is_file() and path.name == made["sha256"]
        assert Path(app.config["DOCUMENTS_DIR"]) in path.parents


def test_an_oversized_body_answers_413_and_stores_nothing(app, client, login, api_token, monkeypatch):
    monkeypatch.setitem(app.config, "DOCUMENT_MAX_BYTES", 1000)
    order_id, before = _order_id(app), _count(app)
    big = CSV + b"M-3,1\n" * 20000  # beyond the limit plus the multipart envelope: refused from Content-Length
    login("buyer@mesa.example")
    response = _upload(client, order_id, big, filename="big.csv")
    assert response.status_code == 413 and "at most 1000 bytes" in response.get_data(as_text=True)
    slightly = CSV + b"M-3,1\n" * 200  # inside the envelope's allowance, but the file itself is too large
    response = _upload(client, order_id, slightly, filename="big.csv")
    assert response.status_code == 413 and "at most 1000 bytes" in response.get_data(as_text=True)
    api = _api_upload(client, api_token("buyer@mesa.example"), "orders", order_id, big, "big.csv")
    assert api.status_code == 413 and api.json["error"]["code"] == "too_large"
    assert _count(app) == before


def test_the_same_title_makes_a_new_version_and_the_old_one_stays(app, client, login):
    order_id = _order_id(app)
    login("buyer@mesa.example")
    _upload(client, order_id, PDF, filename="v1.pdf", title="Delivery note")
    _upload(client, order_id, CSV, filename="v2.csv", title="Delivery note")
    with app.app_context():
        first, second = db.session.scalars(select(Document).where(Document.title == "Delivery note")
                                           .order_by(Document.version)).all()
    assert (first.version, second.version) == (1, 2)
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    section = page[page.index('data-testid="documents-section"'):]  # (the flashed messages name the files too)
    assert section.index("v2.csv") < section.index("v1.pdf") and "earlier version" in section
    assert client.get(f"/c/gpsr/documents/{first.id}/download").data == PDF
    meta = client.get(f"/api/v1/documents/{second.id}?consortium=gpsr").json
    assert [v["version"] for v in meta["versions"]] == [2, 1]


def _mesa_document(app) -> int:
    with app.test_request_context():
        document = owners.add("orders", owners.order(), "buyer@mesa.example", content=b"x,y\n1,2\n",
                              filename="x.csv")
        db.session.commit()
        return document.id


def test_another_tenant_and_members_who_cannot_see_the_order_get_404(app, client, login):
    document_id = _mesa_document(app)
    for email in ("buyer@boulder.example", "buyer@tempe.example", "vendor@parksense.example"):
        login(email)
        assert client.get(f"/c/gpsr/documents/{document_id}/download").status_code == 404, email
    login("buyer@boulder.example")
    assert client.get(f"/c/frca/documents/{document_id}/download").status_code == 404
    login("vendor@brightstreet.example")  # the order's vendor sees it
    assert client.get(f"/c/gpsr/documents/{document_id}/download").status_code == 200


def test_a_file_that_vanished_from_disk_is_a_logged_404_page(app, client, login, caplog):
    document_id = _mesa_document(app)
    with app.app_context():
        storage.path_of(db.session.get(Document, document_id).sha256).unlink()
    login("buyer@mesa.example")
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/c/gpsr/documents/{document_id}/download")
    assert response.status_code == 404 and "missing from the document store" in response.get_data(as_text=True)
    assert any(f"document {document_id} " in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)


# Each owner type: its editor adds, a person who sees it but may not add gets 403, a stranger to it 404.
EDITORS = [
    ("listings", "vendor@parksense.example", "buyer@mesa.example", 403),
    ("pilots", "approver@mesa.example", "vendor@parksense.example", 403),
    ("vehicles", "admin@gpsr.example", "approver@mesa.example", 403),
    ("participations", "approver@tempe.example", "buyer@tempe.example", 403),
    ("participations", "admin@gpsr.example", "approver@mesa.example", 404),
    ("orders", "vendor@brightstreet.example", "admin@gpsr.example", 403),
    ("observations", "vendor@brightstreet.example", "buyer@tempe.example", 403),
    ("rfis", "buyer@mesa.example", "admin@gpsr.example", 403),
    ("needs", "approver@mesa.example", "buyer@tempe.example", 403),
    ("needs", "buyer@mesa.example", "vendor@brightstreet.example", 404),
]


@pytest.mark.parametrize(("key", "editor", "refused", "status"), EDITORS)
def test_every_owner_type_accepts_its_editor_and_refuses_others(app, client, api_token, key, editor, refused, status):
    with app.test_request_context():
        owner_id = owners.OWNERS[key]().id
    before = _count(app)
    assert _api_upload(client, api_token(refused), key, owner_id, PDF).status_code == status
    made = _api_upload(client, api_token(editor), key, owner_id, PDF)
    assert made.status_code == 201 and made.json["owner"] == key and made.json["owner_id"] == owner_id
    assert _count(app) == before + 1


def test_the_section_shows_the_upload_form_only_to_editors(app, client, login):
    with app.test_request_context():
        pilot_id = owners.pilot().id
    login("vendor@parksense.example")
    page = client.get(f"/c/gpsr/pilots/{pilot_id}").get_data(as_text=True)
    assert "Pilot report" in page and "Add a document" not in page  # the demo's report, listed
    login("buyer@mesa.example")
    assert "Add a document" in client.get(f"/c/gpsr/pilots/{pilot_id}").get_data(as_text=True)
