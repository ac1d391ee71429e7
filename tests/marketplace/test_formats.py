"""One way to write dates and times for people (issue 19): a date as '1 Apr 2027', a moment in the consortium's
time zone with the zone named ('30 Nov 2026, 11:54 PM MST'), on pages, PDFs, e-mails and 409 sentences alike;
and date fields whose hint matches what they take (the browser's date field shows mm/dd/yyyy in US English and
posts YYYY-MM-DD; a plain text box gets what a person types, 04/01/2027)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from consortium.accounts import services as accounts
from contracts.invoices.models import Invoice
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from marketplace.formats import clock, day, moment
from marketplace.inputs import DATE_HINT, parse_date
from marketplace.notifications.delivery import build_message
from marketplace.notifications.models import Notification
from tests.conftest import consortium, fetch, org, user
from tests.contracts.invoice_helpers import active_order, people_for, terms, verify

PHOENIX, DENVER = ZoneInfo("America/Phoenix"), ZoneInfo("America/Denver")
MOMENT = datetime(2026, 12, 1, 6, 54, tzinfo=UTC)  # 11:54 PM on 30 Nov in Phoenix (UTC−7 all year)
SHOWN = "30 Nov 2026, 11:54 PM MST"
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(T| \d{2}:\d{2})")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


# --- the formatter ----------------------------------------------------------------------------------


def test_a_moment_is_written_in_the_zone_given_with_the_zone_named():
    assert moment(MOMENT, PHOENIX) == SHOWN
    assert clock(MOMENT, PHOENIX) == "11:54 PM MST"
    # Denver keeps summer time, Phoenix does not: the same summer instant reads an hour apart, each named.
    summer = datetime(2026, 7, 1, 18, 5, tzinfo=UTC)
    assert moment(summer, PHOENIX) == "1 Jul 2026, 11:05 AM MST"
    assert moment(summer, DENVER) == "1 Jul 2026, 12:05 PM MDT"
    assert moment(MOMENT, ZoneInfo("UTC")) == "1 Dec 2026, 6:54 AM UTC"
    assert moment(MOMENT, ZoneInfo("Europe/Berlin")) == "1 Dec 2026, 7:54 AM CET"


def test_a_date_is_written_as_a_day_and_nothing_as_a_dash():
    assert moment(date(2027, 4, 1), PHOENIX) == day(date(2027, 4, 1)) == "1 Apr 2027"
    assert moment(None, PHOENIX) == day(None) == "—"


def test_a_naive_timestamp_is_taken_as_utc():
    assert moment(MOMENT.replace(tzinfo=None), PHOENIX) == SHOWN


# --- the one date parser ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2027-04-01", "04/01/2027", "4/1/2027", " 04/01/2027 "])
def test_a_date_is_taken_as_the_field_posts_it_or_as_a_person_types_it(typed):
    fields: dict = {}
    assert parse_date(typed, "on", fields) == date(2027, 4, 1) and fields == {}


@pytest.mark.parametrize("typed", ["01.04.2027", "1 Apr 2027", "2027/04/01", "04/01/27", "04-01-2027", "tomorrow",
                                   "０４/０１/２０２７", "04/01/2027x", "20270401"])
def test_anything_else_is_refused_with_the_form_a_date_takes(typed):
    fields: dict = {}
    assert parse_date(typed, "on", fields) is None
    assert fields == {"on": "Enter a date like 04/01/2027."}


def test_an_impossible_date_is_refused_in_either_form():
    fields: dict = {}
    assert parse_date("02/30/2027", "typed", fields) is None
    assert parse_date("13/01/2027", "month", fields) is None
    assert parse_date("2027-02-30", "posted", fields) is None
    assert fields["typed"] == fields["month"] == "That date does not exist. Enter a date like 04/01/2027."
    assert fields["posted"] == "That date does not exist."


def test_a_missing_date_is_asked_for_only_when_required():
    fields: dict = {}
    assert parse_date("  ", "optional", fields, required=False) is None and fields == {}
    assert parse_date(None, "required", fields) is None and fields == {"required": "Enter a date."}


# --- pages, PDFs and e-mails use it -------------------------------------------------------------------


@pytest.fixture
def people(api_token):
    return people_for(api_token)


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _order_with_history_at(app, client, people, moment_: datetime) -> int:
    """Tempe's active order, its whole history (submitted, approved, accepted) moved to `moment_`."""
    order_id, _ = active_order(app, client, people, terms())
    with app.app_context():
        db.session.execute(update(AuditEvent).where(AuditEvent.object_type == "order", AuditEvent.object_id == order_id)
                           .values(created_at=moment_))
        db.session.commit()
    return order_id


def test_the_order_page_and_its_purchase_order_show_local_times_with_the_zone(app, client, people, login):
    order_id = _order_with_history_at(app, client, people, MOMENT)
    login("buyer@tempe.example")
    page = _visible(client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True))
    assert SHOWN in page
    assert not ISO_TIME.search(page) and not ISO_DATE.search(page), ISO_DATE.search(page)

    pdf = client.get(f"/c/gpsr/orders/{order_id}/po.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    assert text.count(SHOWN) >= 3  # submitted, approved (or not needed), accepted: each at that moment
    assert "Period 1 starts on 1 Jan 2025" in text
    assert not ISO_TIME.search(text) and not ISO_DATE.search(text), ISO_DATE.search(text)


def test_an_email_names_its_times_in_the_consortiums_zone(app, _transaction):
    with app.test_request_context():
        accounts.invite(email="pat.lee@tempe.example", organization=org("Tempe"), role="buyer",
                        actor=user("admin@gpsr.example"), consortium=consortium("gpsr"))
        note = db.session.scalar(select(Notification).where(Notification.email == "pat.lee@tempe.example"))
        note.created_at = MOMENT
        message = build_message(note)
    text = message.get_body(("plain",)).get_content()
    assert re.search(r"until \d{1,2} [A-Z][a-z]{2} \d{4}, \d{1,2}:\d\d [AP]M MST\.", text), text
    assert f"Greater Phoenix Smart Region on Alliance Marketplace · {SHOWN}" in text
    html = _visible(message.get_body(("html",)).get_content())
    assert SHOWN in html
    assert not ISO_TIME.search(text + html)


# --- date fields: native, hinted as shown, typed dates taken ---------------------------------------------


def test_date_fields_are_native_with_a_hint_in_the_form_the_field_shows(app, client, people, login):
    order_id, _ = active_order(app, client, people, terms())
    verify(client, people, order_id, 1, "97.2")
    login("vendor@parksense.example")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="issued_on"[^>]*>', page).group(0)
    assert 'type="date"' in field and 'aria-describedby="issued_on-hint"' in field
    assert re.search(r'id="issued_on-hint">\s*For example: 04/01/2027\.\s*<', page)
    assert DATE_HINT == "For example: 04/01/2027."
    assert "YYYY" not in page


def test_dates_typed_as_mm_dd_yyyy_are_saved_from_the_forms_and_refused_by_the_api(app, client, people, login):
    order_id, _ = active_order(app, client, people, terms())
    verify(client, people, order_id, 1, "97.2")
    login("vendor@parksense.example")
    junk = client.post(f"/c/gpsr/orders/{order_id}/invoices",
                       data={"number": "T-1", "issued_on": "2.11.2026", "period": "1", "amount": "28800.00"})
    assert junk.status_code == 400 and "Enter a date like 04/01/2027." in junk.get_data(as_text=True)
    assert 'value="2.11.2026"' in junk.get_data(as_text=True)  # the input is kept
    sent = client.post(f"/c/gpsr/orders/{order_id}/invoices",
                       data={"number": "T-1", "issued_on": "11/02/2026", "period": "1", "amount": "28800.00"})
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    invoice_id = fetch(select(Invoice.id).where(Invoice.number == "T-1"))
    login("buyer@tempe.example")
    assert client.post(f"/c/gpsr/invoices/{invoice_id}/approve").status_code == 302
    api = client.post(f"/api/v1/invoices/{invoice_id}/pay", json={"paid_on": "11/05/2026"}, headers=people["buyer"])
    assert api.status_code == 400 and "paid_on" in api.get_json()["error"]["fields"]  # the API takes ISO 8601 only
    assert client.post(f"/c/gpsr/invoices/{invoice_id}/pay", data={"paid_on": "11/05/2026"}).status_code == 302
    with app.app_context():
        saved = db.session.get(Invoice, invoice_id)
        assert (saved.issued_on, saved.paid_on) == (date(2026, 11, 2), date(2026, 11, 5))
    page = client.get(f"/c/gpsr/invoices/{invoice_id}").get_data(as_text=True)
    assert "2 Nov 2026" in page and "5 Nov 2026" in page
