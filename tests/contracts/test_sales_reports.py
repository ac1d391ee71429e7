"""Sales reports and admin fees (issue 14): the arithmetic of DESIGN section 5b example H to the cent, the
issue's end-to-end "Done means", opening (CLI and daily job, idempotent), late flags and reminders, and bad
input that changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts.reporting import fees, services
from contracts.reporting.models import FeePayment, SalesReport
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from marketplace.notifications.reminders import run_reminders
from marketplace.queue import queue_for
from tests.conftest import consortium, user
from tests.contracts.reporting_helpers import ADMIN, PARK, parksense_report, report_of

D = Decimal
BRIGHT = "vendor@brightstreet.example"
OUTSIDE = {"customer_name": "Maricopa County", "gross": "125000.00", "tax": "8000.00", "freight": "2000.00",
           "returns": "15000.00"}


# --- the arithmetic (pure) ---------------------------------------------------------------------------------


def test_example_h_to_the_cent():
    net = fees.line_net(D("125000.00"), D("8000.00"), D("2000.00"), D("15000.00"))
    assert net == D("100000.00")
    assert fees.admin_fee(net, D("1.5")) == D("1500.00")
    assert fees.admin_fee(D("33333.33"), D("1.25")) == D("416.67")


def test_a_negative_line_is_allowed_but_the_fee_never_goes_below_zero():
    returned = fees.line_net(D("100.00"), D("0"), D("0"), D("400.00"))
    assert returned == D("-300.00")
    assert fees.figures([returned, D("200.00")], D("1.5")) == fees.FeeFigures(D("-100.00"), D("0.00"))
    assert fees.figures([returned, D("1300.00")], D("1.5")).fee == D("15.00")


@pytest.mark.parametrize(("quarter", "first", "last", "due", "fee_due"), [
    ("2026Q3", date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 30), date(2026, 11, 29)),
    ("2026Q4", date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 30), date(2027, 3, 1)),
    ("2024Q1", date(2024, 1, 1), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 30)),
])
def test_quarters_and_due_dates(quarter, first, last, due, fee_due):
    assert fees.quarter_bounds(quarter) == (first, last)
    assert fees.due_dates(quarter, 30, 60) == (due, fee_due)


def test_previous_quarter_and_bad_quarters():
    assert fees.previous_quarter(date(2026, 12, 2)) == "2026Q3"
    assert fees.previous_quarter(date(2027, 1, 1)) == "2026Q4"
    for bad in ("2026Q5", "2026-Q3", "Q3 2026", "２026Q3", "", None, "2026Q0"):
        assert fees.parse_quarter(bad) is None


# --- the end-to-end flow of the "Done means" --------------------------------------------------------


def _api(client, api_token, email, method, path, body=None):
    return client.open(f"/api/v1{path}?consortium=gpsr" if "?" not in path else f"/api/v1{path}&consortium=gpsr",
                       method=method, json=body, headers=api_token(email))


def test_invoices_to_report_to_fee_to_payment(app, client, api_token, login, ctx):
    # The demo's invoices from BrightStreet under GPSR-2026-001 issued in 2026Q4 (November): paid to Tempe
    # 4,500.00 + 2,216.25 + 5,221.25 = 11,937.50; to Mesa 28,800.00 paid + 46,080.00 approved = 74,880.00.
    # Submitted and rejected invoices, and Tempe's revenue-share invoices to the vendor, are no sales.
    result = app.test_cli_runner().invoke(args=["reports", "open", "--quarter", "2026Q4"])
    assert result.exit_code == 0, result.output
    assert "opened for 2026Q4" in result.output
    report = report_of("BrightStreet Lighting", "GPSR-2026-001", "2026Q4")
    platform = {line.customer: line.gross for line in report.platform_lines}
    assert platform == {"Mesa": D("74880.00"), "Tempe": D("11937.50")}
    db.session.commit()

    put = _api(client, api_token, BRIGHT, "PUT", f"/sales-reports/{report.id}", {"lines": [OUTSIDE]})
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["net_total"] == "186817.50"
    submitted = _api(client, api_token, BRIGHT, "POST", f"/sales-reports/{report.id}/submit")
    assert submitted.get_json()["status"] == "submitted"
    accepted = _api(client, api_token, ADMIN, "POST", f"/sales-reports/{report.id}/accept", {})
    body = accepted.get_json()
    # 1.5 % of 186,817.50 = 2,802.2625 → 2,802.26
    assert (body["status"], body["fee"], body["fee_balance"]) == ("accepted", "2802.26", "2802.26")
    assert {line["source"] for line in body["lines"]} == {"platform", "reported"}

    too_much = _api(client, api_token, ADMIN, "POST", f"/sales-reports/{report.id}/payments",
                    {"amount": "2802.27", "paid_on": "2026-12-01"})
    assert too_much.status_code == 409
    assert "more than the balance of $2,802.26" in too_much.get_json()["error"]["message"]
    paid = _api(client, api_token, ADMIN, "POST", f"/sales-reports/{report.id}/payments",
                {"amount": "2802.26", "paid_on": "2026-12-01"})
    assert paid.status_code == 201
    assert (paid.get_json()["fee_paid"], paid.get_json()["fee_balance"]) == ("2802.26", "0.00")

    login(ADMIN)
    page = client.get(f"/c/gpsr/sales-reports/{report.id}").get_data(as_text=True)
    assert "1.5 % × $186,817.50 = <strong>$2,802.26</strong>" in page
    assert 'data-testid="fee-balance">$0.00<' in page
    assert "fee paid" in page  # the audit trail


def test_zero_report_and_return_then_resubmit(ctx):
    report = parksense_report("due")
    vendor, admin = db.session.merge(user(PARK)), db.session.merge(user(ADMIN))
    assert report.lines == [] and report.fee == D("0.00")
    services.submit_report(report, actor=vendor)
    services.return_report(report, actor=admin, reason="You sold to Pima County.")
    assert report.status == "returned" and report.return_reason == "You sold to Pima County."
    services.replace_reported_lines(report, {"lines": [{"customer_name": "Pima County", "gross": "2000.00",
                                                        "returns": "2500.00"}]}, actor=vendor)
    assert report.net_total == D("-500.00") and report.fee == D("0.00")
    services.submit_report(report, actor=vendor)
    with pytest.raises(ValidationFailed):
        services.return_report(report, actor=admin, reason="")
    assert report.status == "submitted"
    with pytest.raises(Conflict):
        services.replace_reported_lines(report, {"lines": []}, actor=vendor)


def test_opening_is_idempotent_cli_and_daily_job(app, ctx):
    gpsr = consortium("gpsr")
    first = services.open_reports(gpsr, "2026Q2")
    assert first, "vehicles in force in 2026Q2 get reports"
    assert {r.due_on for r in first} == {date(2026, 7, 30)}
    assert {r.fee_due_on for r in first} == {date(2026, 8, 29)}
    assert services.open_reports(gpsr, "2026Q2") == []

    def count():
        return db.session.scalar(select(func.count(SalesReport.id)).where(SalesReport.quarter == "2026Q2"))

    run_reminders(date(2026, 7, 2))  # the quarter just ended: opens what is missing (Front Range's)
    opened = count()
    assert opened > len(first)
    run_reminders(date(2026, 7, 2))
    run_reminders(date(2026, 7, 3))
    result = app.test_cli_runner().invoke(args=["reports", "open", "--quarter", "2026Q2"])
    assert result.exit_code == 0 and "0 sales reports opened" in result.output
    assert count() == opened


def test_a_late_report_is_in_the_admins_queue_and_reminded_once(app, ctx):
    gpsr = consortium("gpsr")
    services.open_reports(gpsr, "2026Q2")  # due 30 Jul 2026: late by now
    db.session.flush()
    admin, vendor = user(ADMIN), user(BRIGHT)
    late = [i for i in queue_for(admin, gpsr) if i.kind == "late_sales_report"]
    assert any("2026Q2" in i.title for i in late)
    assert any(i.kind == "file_sales_report" and i.due_on == date(2026, 7, 30) for i in queue_for(vendor, gpsr))

    def late_notes(person):
        return db.session.scalar(select(func.count(Notification.id)).where(
            Notification.recipient_id == person.id, Notification.kind == "sales_report",
            Notification.subject.like("%2026Q2%late%")))

    run_reminders(date(2026, 8, 3))
    assert late_notes(admin) >= 1 and late_notes(vendor) >= 1
    before = (late_notes(admin), late_notes(vendor))
    run_reminders(date(2026, 8, 4))
    assert (late_notes(admin), late_notes(vendor)) == before


def test_due_in_seven_days_reminder(ctx):
    services.open_reports(consortium("gpsr"), "2026Q2")
    run_reminders(date(2026, 7, 24))
    vendor = user(BRIGHT)
    subjects = list(db.session.scalars(select(Notification.subject).where(
        Notification.recipient_id == vendor.id, Notification.subject.like("%2026Q2%due in 6 days%"))))
    assert subjects


# --- bad input changes nothing ------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "field"), [
    ({"customer_name": "Pima County", "gross": "-1.00"}, "lines.0.gross"),
    ({"customer_name": "Pima County", "gross": "10.001"}, "lines.0.gross"),
    ({"customer_name": "", "gross": "10.00"}, "lines.0.customer_name"),
    ({"customer_name": "Pima County", "gross": "10", "tax": "abc"}, "lines.0.tax"),
    ({"member_id": 999999, "gross": "10"}, "lines.0.member_id"),
])
def test_bad_lines_change_nothing(ctx, line, field):
    report = parksense_report("due")
    vendor = db.session.merge(user(PARK))
    services.replace_reported_lines(report, {"lines": [{"customer_name": "Kept", "gross": "5.00"}]}, actor=vendor)
    with pytest.raises(ValidationFailed) as err:
        services.replace_reported_lines(report, {"lines": [line]}, actor=vendor)
    assert field in err.value.fields
    assert [line.customer for line in report.reported_lines] == ["Kept"]


def test_bad_quarter_and_payments(app, ctx):
    with pytest.raises(ValidationFailed):
        services.open_reports(consortium("gpsr"), "2026-Q3")
    result = app.test_cli_runner().invoke(args=["reports", "open", "--quarter", "2026Q9"])
    assert result.exit_code != 0 and "such as 2026Q3" in result.output
    report = parksense_report("submitted")
    admin = db.session.merge(user(ADMIN))
    with pytest.raises(Conflict, match="once it is accepted"):
        services.record_payment(report, {"amount": "1.00", "paid_on": "2026-11-30"}, actor=admin,
                                today=date(2026, 12, 2))
    services.accept_report(report, actor=admin)
    for body in ({"amount": "0", "paid_on": "2026-11-30"}, {"amount": "1.00", "paid_on": "2027-01-01"},
                 {"amount": "x", "paid_on": "2026-11-30"}):
        with pytest.raises(ValidationFailed):
            services.record_payment(report, body, actor=admin, today=date(2026, 12, 2))
    assert db.session.scalar(select(func.count(FeePayment.id)).where(FeePayment.report_id == report.id)) == 0
    assert report.fee_paid == D("0.00")


# --- pages --------------------------------------------------------------------------------------------------


def test_pages_list_filters_export_and_vendor_form(client, login, ctx):
    report = report_of("BrightStreet Lighting", "GPSR-2026-001", "2026Q2")
    db.session.commit()
    login(BRIGHT)
    page = client.get("/c/gpsr/sales-reports?late=1")
    assert page.status_code == 200 and report.reference in page.get_data(as_text=True)
    assert client.get("/c/gpsr/sales-reports?quarter=26Q2").status_code == 400
    form = client.get(f"/c/gpsr/sales-reports/{report.id}/lines")
    assert form.status_code == 200 and form.get_data(as_text=True).count('name="lines-') == 15
    more = client.post(f"/c/gpsr/sales-reports/{report.id}/lines", data={"more": "1", "lines-0-customer_name": "A",
                                                                         "lines-1-gross": "", "lines-2-gross": ""})
    assert more.get_data(as_text=True).count('name="lines-') == 40 and 'value="A"' in more.get_data(as_text=True)
    saved = client.post(f"/c/gpsr/sales-reports/{report.id}/lines",
                        data={"lines-0-customer_name": "Pima County", "lines-0-gross": "1,000.00",
                              "lines-0-tax": "80.00"})
    assert saved.status_code == 302
    shown = client.get(f"/c/gpsr/sales-reports/{report.id}").get_data(as_text=True)
    assert "Pima County" in shown and "$920.00" in shown
    csv = client.get("/c/gpsr/sales-reports/export.csv?quarter=2026Q2").get_data(as_text=True)
    assert csv.startswith("\ufeffreport,quarter") and report.reference in csv and "920.00" in csv
