"""The browser journeys of the marketplace, in headless Chromium against a real server.

1. A vendor creates a listing and submits it; an admin reviews the diff and approves (then a change
   to the live listing goes through the same review as a revision); a buyer finds it by searching
   with a misspelling and a facet.
2. Tempe's buyer opens a proven listing, starts an order under the street-lighting vehicle with
   performance terms prefilled from Mesa's pilot, submits it above Tempe's approval limit; Tempe's
   approver approves; the vendor accepts and reports two periods; the buyer verifies one period and
   disputes the other; the settlement table and the statement PDF show the expected amounts.
3. A Front Range user cannot reach any Greater Phoenix order, vehicle participation or draft by URL.
4. Journeys 1 and 2 again with JavaScript disabled (the `nojs` parameter).
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest

from tests.e2e.helpers import Actor, fill_fields, follow, text_of

pytestmark = pytest.mark.e2e

JS_MODES = [pytest.param(True, id="js"), pytest.param(False, id="nojs")]


def _row(page, table_selector: str, text: str):
    return page.locator(f"{table_selector} tbody tr").filter(has_text=text)


# --- journey 1: list → approve → find -----------------------------------------------------------

NEW_LISTINGS = {
    True: {
        "vendor": "vendor@parksense.example",
        "title": "Hydrant pressure sensors",
        "summary": "Clip-on sensors that report water-main pressure drops before hydrants fail.",
        "description": "Battery sensors on fire hydrants stream pressure every minute.\n\nAlerts go to the water "
                       "utility's operations centre.",
        "tags": "water, hydrants, pressure",
        "standards": "LoRaWAN, REST API",
        "item": ("Hydrant sensor service", "per hydrant per month", "14.00"),
        "revised_price": "12.50",
    },
    False: {
        "vendor": "vendor@flowmobility.example",
        "title": "Stormwater level sensors",
        "summary": "Radar sensors in storm drains that warn crews before streets flood.",
        "description": "Solar-powered radar level sensors for storm drains and culverts.\n\nThresholds trigger "
                       "alerts to public works and the flood warning system.",
        "tags": "stormwater, flooding, drains",
        "standards": "MQTT, REST API",
        "item": ("Drain sensor service", "per drain per month", "21.00"),
        "revised_price": "19.75",
    },
}
MISSPELLED = "sensrs"  # "sensors", one letter short


@pytest.mark.parametrize("js", JS_MODES)
def test_journey_1_vendor_lists_admin_approves_buyer_finds(journey, js):
    spec = NEW_LISTINGS[js]
    title = spec["title"]
    item_name, unit, price = spec["item"]

    # The vendor drafts the listing and submits it.
    vendor = journey.person(spec["vendor"], js=js)
    vendor.assert_styled()
    page = vendor.page
    follow(page.get_by_role("link", name="My listings"))
    follow(page.get_by_role("link", name="New listing"))
    assert text_of(page.get_by_role("heading", level=1)) == "New listing"
    fill_fields(page, {
        "title": title, "summary": spec["summary"], "description": spec["description"], "category": "water",
        "tags": spec["tags"], "standards": spec["standards"],
        "price_items-0-name": item_name, "price_items-0-unit": unit, "price_items-0-list_price": price,
    })
    page.locator("label.usa-checkbox__label", has_text="As a service").click()  # USWDS hides the box itself
    assert page.get_by_label("As a service").is_checked()
    vendor.shot("vendor new listing form")
    follow(page.get_by_role("button", name="Save draft"))
    vendor.expect_flash(f"Draft “{title}” saved", category="success")
    row = _row(page, "main table", title)
    assert "Draft" in text_of(row)
    follow(row.get_by_role("button", name="Submit for approval"))
    vendor.expect_flash(f"“{title}” is submitted", category="success")
    vendor.goto("/c/gpsr/vendor/listings")
    assert "Awaiting approval" in text_of(_row(page, "main table", title))
    vendor.shot("vendor listing submitted")

    # Not searchable before approval.
    buyer = journey.person("buyer@chandler.example", js=js)
    buyer.goto("/c/gpsr/catalog?q=" + title.split()[0].lower())
    assert title not in buyer.text("main")

    # The admin reviews what was submitted and approves it.
    admin = journey.person("admin@gpsr.example", js=js)
    page = admin.page
    follow(page.get_by_role("link", name="Approval queue"))
    row = _row(page, "main table", title)
    assert "New listing" in text_of(row)
    admin.shot("admin approval queue")
    follow(row.get_by_role("link", name=re.compile(r"^Review")))
    diff = page.get_by_test_id("diff")
    assert text_of(diff.locator("caption")) == "Submitted content"
    submitted = {text_of(r.locator("th")): text_of(r.locator("td").last)
                 for r in diff.locator("tbody tr").all()}
    assert submitted["Title"] == title
    assert submitted["Category"] == "Water"
    assert submitted["Pricing models"] == "As a service"
    assert submitted["Price items"] == f"{item_name} — {unit} — ${price}"
    assert diff.locator("ins.diff-new").count() >= 6  # a first submission: every field is new
    admin.shot("admin reviews submission")
    page.get_by_label("Note to the vendor (optional)").fill("Meets the consortium's listing criteria.")
    follow(page.get_by_role("button", name="Approve"))
    admin.expect_flash(f"“{title}” is approved and live", category="success")
    assert title not in admin.text("main table")

    # The vendor changes the live listing: a revision, reviewed as a diff against what is live.
    page = vendor.page
    vendor.goto("/c/gpsr/vendor/listings")
    row = _row(page, "main table", title)
    assert "Published" in text_of(row)
    follow(row.get_by_role("link", name=re.compile(r"^Edit")))
    fill_fields(page, {"price_items-0-list_price": spec["revised_price"]})
    follow(page.get_by_role("button", name="Save changes"))
    vendor.expect_flash("Your changes are awaiting approval", category="success")

    page = admin.page
    follow(page.get_by_role("link", name="Approval queue"))
    row = _row(page, "main table", title)
    assert "Change to a live listing" in text_of(row)
    follow(row.get_by_role("link", name=re.compile(r"^Review")))
    diff = page.get_by_test_id("diff")
    changed = diff.locator("tbody tr").filter(has=page.locator("th .usa-tag", has_text="changed"))
    assert changed.count() == 1
    cells = [text_of(cell) for cell in changed.locator("td").all()]
    assert text_of(changed.locator("th")).startswith("Price items")
    assert f"${price}" in cells[0] and f"${spec['revised_price']}" in cells[1]
    assert text_of(changed.locator("del.diff-old")).endswith(f"${price}")
    assert text_of(changed.locator("ins.diff-new")).endswith(f"${spec['revised_price']}")
    admin.shot("admin reviews revision diff")
    page.get_by_label("Note to the vendor (optional)").fill("Lower price accepted.")
    follow(page.get_by_role("button", name="Approve"))
    admin.expect_flash("is approved and live", category="success")

    # A buyer finds it with a misspelled search and a category facet.
    page = buyer.page
    follow(page.get_by_role("link", name="Catalog", exact=True))
    page.get_by_label("Search the catalog").fill(MISSPELLED)
    follow(page.get_by_role("button", name="Search"))
    assert buyer.text("[data-testid=result-count]").startswith("0 listings")
    suggestion = page.get_by_test_id("suggestion")
    assert text_of(suggestion) == "sensors"
    buyer.shot("buyer misspelled search")
    follow(suggestion)
    count = buyer.text("[data-testid=result-count]")
    assert re.match(r"\d+ listings for “sensors”", count), count
    unfiltered = int(count.split()[0])
    follow(page.get_by_role("link", name=re.compile(r"^Water \(\d+\)$")))
    count = buyer.text("[data-testid=result-count]")
    assert int(count.split()[0]) < unfiltered
    results = page.locator(".usa-collection__item")
    for n in range(results.count()):
        assert "Water" in text_of(results.nth(n).locator(".usa-collection__meta"))
    assert text_of(page.locator("[aria-current=true]").first).startswith("Water")
    buyer.shot("buyer search with facet")
    follow(results.get_by_role("link", name=title))
    assert text_of(page.get_by_role("heading", level=1)).startswith(title)
    prices = text_of(page.locator("main table").first)
    assert item_name in prices and f"${spec['revised_price']}" in prices and f"${price}" not in prices
    buyer.shot("buyer opens listing")

    for actor in (vendor, admin, buyer):
        actor.assert_no_console_errors()


# --- journey 2: proven listing → order with performance terms → settle ---------------------------

PROVEN_LISTING = "Adaptive LED street lighting"
PILOT = "Adaptive LED street lighting in Dobson Ranch"
VEHICLE = "GPSR-2026-001"
# Per monthly period: fixed 5,000.00 + at-risk 4,000.00, 12 periods → not-to-exceed 108,000.00: above
# Tempe's 100,000.00 approval limit, inside its 400,000.00 participation limit (even twice over, with the
# demo's 109,350.00 already committed, as the js and nojs runs both order).
# Periods run from the terms' start date and are reported once they end: three months back, periods 1 and 2
# are over.
FEES = {"performance-fixed_fee": "5000.00", "performance-at_risk_fee": "4000.00", "performance-bonus_pool": "0",
        "performance-start_date": (date.today().replace(day=1) - timedelta(days=80)).replace(day=1).isoformat()}
ORDER_VALUE = "$108,000.00"
# Prefilled from the pilot (metric: pre-pilot baseline → floor, result → baseline, target → target),
# weights split evenly with the remainder on the first: 0.34 / 0.33 / 0.33.
PREFILLED = [
    {"code": "energy_use", "name": "Energy use", "unit": "count", "direction": "lower", "weight": "0.34",
     "baseline": "610", "floor": "1200", "target": "700"},
    {"code": "outage_repair_time", "name": "Outage repair time", "unit": "hours", "direction": "lower",
     "weight": "0.33", "baseline": "18", "floor": "72", "target": "24"},
    {"code": "resident_satisfaction", "name": "Resident satisfaction", "unit": "percent", "direction": "higher",
     "weight": "0.33", "baseline": "82", "floor": "61", "target": "75"},
]
# Period 1 (verified): energy 950 → pf (1200−950)/(1200−700) = 0.5; repair 24 h → at target, pf 1;
# satisfaction 68 → (68−61)/(75−61) = 0.5.  PF = 0.34·0.5 + 0.33·1 + 0.33·0.5 = 0.665.
# at-risk earned 4,000 × 0.665 = 2,660.00; bonus 0.00; gross 5,000 + 2,660 = 7,660.00;
# holdback 10% = 766.00; paid now 6,894.00.  Period 2 is disputed, so it stays pending.
MEASURED = {
    1: {"energy_use": "950", "outage_repair_time": "24", "resident_satisfaction": "68"},
    2: {"energy_use": "820", "outage_repair_time": "30", "resident_satisfaction": "71"},
}
PERIOD_1 = {"pf": "0.665", "at_risk": "$2,660.00", "bonus": "$0.00", "credits": "$0.00", "gross": "$7,660.00",
            "holdback": "$766.00", "paid_now": "$6,894.00"}


def _order_status(actor: Actor) -> str:
    return actor.text("[data-testid=status]")


def _report(vendor: Actor, period: int, kpi: str, value: str) -> None:
    page = vendor.page
    form = page.get_by_test_id("report-form")
    form.get_by_label("Period").select_option(str(period))
    form.get_by_label("KPI").select_option(kpi)
    form.get_by_label("Measured value").fill(value)
    form.get_by_label("Evidence note").fill(f"Central management system export, month {period}")
    follow(form.get_by_role("button", name="Report"))
    vendor.expect_flash(f"Reported {kpi} for period {period}", category="success")


def _statement_text(actor: Actor, href: str) -> str:
    from pypdf import PdfReader

    response = actor.context.request.get(href)
    assert response.status == 200, f"{href} answered {response.status}"
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    return "\n".join(p.extract_text() for p in reader.pages)


@pytest.mark.parametrize("js", JS_MODES)
def test_journey_2_order_with_performance_terms_from_a_pilot(journey, js):
    po_number = f"TMP-E2E-{'JS' if js else 'NOJS'}"

    # Tempe's buyer opens a proven listing from the catalog.
    buyer = journey.person("buyer@tempe.example", js=js)
    page = buyer.page
    follow(page.get_by_role("link", name="Catalog", exact=True))
    follow(page.get_by_role("link", name=re.compile(r"^Proven by a member city \(\d+\)$")))
    follow(page.locator(".usa-collection__item").get_by_role("link", name=PROVEN_LISTING))
    assert page.get_by_test_id("proven").is_visible()
    assert PILOT in buyer.text("[data-testid=pilot-evidence]")
    panel = page.get_by_test_id("listing-vehicles")
    assert "Your city can buy under this vehicle" in text_of(panel)
    buyer.shot("buyer proven listing with vehicle")

    # … and starts an order under the vehicle, with KPIs prefilled from the pilot.
    follow(panel.get_by_role("link", name=f"Start an order under {VEHICLE}"))
    assert re.search(r"/vehicles/\d+/orders/new\?pilot=\d+$", page.url), page.url
    assert PILOT in buyer.text("[data-testid=prefilled]")
    assert page.locator("#performance-enabled").is_checked()
    for n, kpi in enumerate(PREFILLED):
        for name, value in kpi.items():
            assert page.locator(f"#performance-kpis-{n}-{name}").input_value() == value, (n, name)
    assert page.locator("#performance-kpis-3-code").input_value() == ""
    assert page.locator("#performance-period").input_value() == "month"
    assert page.locator("#performance-periods").input_value() == "12"
    assert page.locator("#performance-holdback_pct").input_value() == "10"
    assert page.locator("#performance-holdback_window").input_value() == "3"
    fill_fields(page, {**FEES, "po_number": po_number})
    buyer.shot("buyer order form prefilled")
    follow(page.get_by_role("button", name="Save draft"))
    buyer.expect_flash("saved. Check it and submit it.", category="success")
    order_url = re.sub(r"[?#].*$", "", page.url)
    order_path = "/" + order_url.split("/", 3)[3]
    assert re.fullmatch(r"/c/gpsr/orders/\d+", order_path), order_path
    reference = text_of(page.get_by_role("heading", level=1)).split()[1]
    assert _order_status(buyer) == "Draft"
    assert buyer.text("[data-testid=value]") == ORDER_VALUE
    labels = {"count": "count", "hours": "hours", "percent": "%"}  # the pilot's "MWh/yr" has no unit of its own
    assert all(f"{k['name']} ({labels[k['unit']]})" in buyer.text("#performance") for k in PREFILLED)

    # The vehicle page offers the same start (without a pilot's KPIs).
    vehicle_link = page.locator("main").get_by_role("link", name=VEHICLE, exact=True).first
    follow(vehicle_link)
    start = page.get_by_test_id("start-order")
    assert re.search(r"/vehicles/\d+/orders/new$", start.get_attribute("href")), start.get_attribute("href")
    buyer.goto(order_path)

    # Submitted above Tempe's approval limit: it waits for the approver.
    follow(page.get_by_role("button", name="Submit order"))
    buyer.expect_flash("above your city's approval limit", category="success")
    assert _order_status(buyer) == "Pending approval"
    buyer.shot("buyer order pending approval")

    # Tempe's approver approves it from the inbox.
    approver = journey.person("approver@tempe.example", js=js)
    page = approver.page
    follow(page.get_by_role("link", name="Orders", exact=True))
    follow(page.get_by_test_id("inbox").get_by_role("link", name=reference))
    assert _order_status(approver) == "Pending approval"
    approver.shot("approver order to approve")
    page.get_by_label("Note with the approval (optional)").fill("Within the FY2027 street-lighting budget.")
    follow(page.get_by_role("button", name="Approve", exact=True))
    approver.expect_flash(f"Order {reference} approved.", category="success")
    assert _order_status(approver) == "Approved"

    # The vendor accepts it and reports two periods.
    vendor = journey.person("vendor@brightstreet.example", js=js)
    page = vendor.page
    follow(page.get_by_role("link", name="Orders", exact=True))
    follow(page.get_by_test_id("inbox").get_by_role("link", name=reference))
    follow(page.get_by_role("button", name="Accept order"))
    vendor.expect_flash(f"Order {reference} accepted", category="success")
    assert _order_status(vendor) == "Active"
    for period, values in MEASURED.items():
        for kpi, value in values.items():
            _report(vendor, period, kpi, value)
    statuses = [text_of(row) for row in vendor.page.get_by_test_id("observations").locator("tbody tr").all()]
    assert len(statuses) == 6 and all("reported" in s for s in statuses), statuses
    vendor.shot("vendor reported two periods")

    # The buyer verifies period 1 and disputes period 2.
    page = buyer.page
    buyer.goto(order_path)
    for kpi in MEASURED[1]:
        follow(page.get_by_role("button", name=f"Verify {kpi} period 1"))
        buyer.expect_flash(f"Verified {kpi} for period 1", category="success")
    for n, kpi in enumerate(MEASURED[2]):
        # Disputing is irreversible: a confirmation page says what happens to the money first.
        follow(page.get_by_role("link", name=f"Dispute {kpi} period 2"))
        assert buyer.text("[data-testid=confirm-title]").startswith(f"Dispute {kpi} for period 2 of order")
        consequences = buyer.text("[data-testid=consequences]")
        assert "period 2" in consequences and "is not settled" in consequences, consequences
        if n == 0:
            buyer.shot("buyer confirms a dispute")
        page.get_by_label("Reason (required)").fill("Does not match the utility's meter data.")
        follow(page.get_by_role("button", name="Dispute the value"))
        buyer.expect_flash(f"Disputed {kpi} for period 2", category="success")
    observations = page.get_by_test_id("observations")
    for period, values in MEASURED.items():
        for kpi in values:
            name = next(k["name"] for k in PREFILLED if k["code"] == kpi)  # the table names KPIs, not codes
            row = observations.locator("tbody tr").filter(
                has=page.locator("td", has_text=re.compile(f"^{re.escape(name)} \\(")))
            row = row.filter(has=page.locator("th", has_text=re.compile(f"^{period}$")))
            expected = "verified" if period == 1 else "disputed: Does not match the utility's meter data."
            assert expected in text_of(row), (period, kpi, text_of(row))

    # The settlement table: period 1 settled to the cent, period 2 pending.
    settlement = page.get_by_test_id("settlement")
    first = settlement.locator("tbody tr").nth(0)
    assert text_of(first.locator("th")) == "1"
    dates, *cells = [text_of(cell) for cell in first.locator("td").all()]  # the period's months first
    assert re.fullmatch(r"[A-Z][a-z]{2}( \d{4})?(–[A-Z][a-z]{2} \d{4})?", dates), dates
    assert cells[:7] == [PERIOD_1[k] for k in ("pf", "at_risk", "bonus", "credits", "gross", "holdback",
                                                "paid_now")], cells
    assert cells[7] == "1: pending"  # window 1 (periods 1–3) is not over
    second = text_of(settlement.locator("tbody tr").nth(1).locator("td").nth(1))
    assert second.startswith("pending — awaiting verified"), second
    names = [k["name"] for k in PREFILLED if k["code"] in MEASURED[2]]
    assert all(name in second for name in names), second
    assert settlement.locator("tbody tr").count() == 12
    energy_chart = text_of(page.locator("#performance figure").filter(has_text="Energy use").locator("svg"))
    assert "floor 1,200" in energy_chart and "target 700" in energy_chart, energy_chart
    totals = buyer.text("[data-testid=totals]")
    assert totals.startswith("Paid $6,894.00 · withheld $766.00 · released $0.00 · forfeited $0.00"), totals
    page.locator("#performance").scroll_into_view_if_needed()
    buyer.shot("buyer settlement after verify and dispute")

    # The statement PDFs say the same.
    link = settlement.locator('a[href$="/statement.pdf?period=1"]')
    text = _statement_text(buyer, link.get_attribute("href"))
    assert f"Order {reference} · period 1 of 12" in text
    assert "Tempe" in text and "BrightStreet Lighting" in text and po_number in text
    for amount in ("7,660.00", "766.00", "6,894.00", "2,660.00"):
        assert f"${amount}" in text, (amount, text)
    assert "66.50%" in text and "0.665" not in text  # the performance factor as a percentage
    link = settlement.locator('a[href$="/statement.pdf?period=2"]')
    pending = _statement_text(buyer, link.get_attribute("href"))
    assert "Pending: no verified value yet for" in pending
    assert "$7,660.00" not in pending

    for actor in (buyer, approver, vendor):
        actor.assert_no_console_errors()


# --- journey 3: tenancy in the browser -----------------------------------------------------------

FRONT_RANGE_PEOPLE = ("buyer@boulder.example", "approver@boulder.example", "admin@frca.example")
LEAKS = ("Tempe", "Mesa", "Chandler", "Scottsdale", "TO-0", "TMP-", "MSA-")


def _greater_phoenix_targets(journey) -> dict[str, list[str]]:
    """Every GPSR order, participation and draft, as the URLs that would show or act on them."""
    gpsr = journey.query("SELECT id FROM consortium WHERE slug = 'gpsr'")[0][0]
    orders = [r[0] for r in journey.query("SELECT id FROM purchase_order WHERE consortium_id = ?", gpsr)]
    participations = [r[0] for r in journey.query("SELECT id FROM participation WHERE consortium_id = ?", gpsr)]
    draft_listings = [r[0] for r in journey.query(
        "SELECT id FROM listing WHERE consortium_id = ? AND status != 'published'", gpsr)]
    draft_vehicles = [r[0] for r in journey.query(
        "SELECT id FROM vehicle WHERE consortium_id = ? AND status = 'draft'", gpsr)]
    active_vehicles = [r[0] for r in journey.query(
        "SELECT id FROM vehicle WHERE consortium_id = ? AND status = 'active'", gpsr)]
    observations = [r[0] for r in journey.query("SELECT id FROM observation WHERE consortium_id = ?", gpsr)]
    draft_orders = [r[0] for r in journey.query(
        "SELECT id FROM purchase_order WHERE consortium_id = ? AND status = 'draft'", gpsr)]
    assert orders and participations and draft_listings and draft_vehicles and observations
    pages, files, posts = [], [], []
    for slug in ("gpsr", "frca"):
        pages += [f"/c/{slug}/orders/{i}" for i in orders]
        pages += [f"/c/{slug}/participations/{i}" for i in participations]
        pages += [f"/c/{slug}/listings/{i}" for i in draft_listings]
        pages += [f"/c/{slug}/vehicles/{i}" for i in draft_vehicles]
        pages += [f"/c/{slug}/vehicles/{i}/orders/new" for i in active_vehicles]
        pages += [f"/c/{slug}/orders/{i}/{step}" for i in orders for step in ("cancel", "decline", "complete")]
        pages += [f"/c/{slug}/observations/{i}/dispute" for i in observations]
        pages += [f"/c/{slug}/participations/{i}/decline" for i in participations]
        files += [f"/c/{slug}/orders/{i}/po.pdf" for i in orders]
        files += [f"/c/{slug}/orders/{i}/statement.pdf?period=1" for i in orders]
        files += [f"/c/{slug}/participations/{i}/addendum.pdf" for i in participations]
    pages += [f"/c/gpsr/orders/{i}/edit" for i in orders]
    pages += [f"/c/gpsr/listings/{i}/{what}" for i in draft_listings for what in ("preview", "history", "edit")]
    pages += [f"/c/gpsr/review/{i}" for i in draft_listings]
    pages += [f"/c/gpsr/vehicles/{i}/edit" for i in draft_vehicles]
    pages += ["/c/gpsr/orders", "/c/gpsr/participations"]
    for suffix in ("", "?consortium=gpsr"):
        files += [f"/api/v1/orders/{i}{suffix}" for i in orders]
        files += [f"/api/v1/orders/{i}/settlement{suffix}" for i in orders]
        files += [f"/api/v1/participations/{i}{suffix}" for i in participations]
        files += [f"/api/v1/participations/{i}/addendum.pdf{suffix}" for i in participations]
        files += [f"/api/v1/listings/{i}{suffix}" for i in draft_listings]
        files += [f"/api/v1/vehicles/{i}{suffix}" for i in draft_vehicles]
    posts += [f"/c/gpsr/orders/{i}/{action}" for i in orders for action in ("approve", "accept", "cancel")]
    posts += [f"/c/gpsr/orders/{i}/submit" for i in draft_orders]
    posts += [f"/c/gpsr/observations/{i}/{action}" for i in observations for action in ("verify", "dispute")]
    posts += [f"/c/gpsr/participations/{i}/approve" for i in participations]
    posts += [f"/c/gpsr/listings/{i}/approve" for i in draft_listings]
    return {"pages": pages, "files": files, "posts": posts}


def test_journey_3_front_range_cannot_reach_greater_phoenix_by_url(journey):
    targets = _greater_phoenix_targets(journey)
    audit_before = journey.query("SELECT COUNT(*) FROM audit_event")[0][0]
    for email in FRONT_RANGE_PEOPLE:
        person = journey.person(email)
        page = person.page
        assert "Front Range Cities Alliance" in person.text("header")
        for n, path in enumerate(targets["pages"]):
            response = page.goto(path)
            assert response.status == 404, f"{email}: {path} answered {response.status}"
            body = person.text("main")
            assert not [word for word in LEAKS if word in body], f"{email}: {path} shows {body[:300]!r}"
            if n == 0:
                person.shot(f"{email.split('@')[0]} gets 404 for a GPSR order")
        for path in targets["files"]:
            response = person.context.request.get(path)
            assert response.status == 404, f"{email}: {path} answered {response.status}"
            assert "application/pdf" not in response.headers.get("content-type", "")
        # Acting by URL with the person's own valid CSRF token changes nothing: still 404.
        person.goto("/c/frca/")
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        for path in targets["posts"]:
            response = person.context.request.post(path, form={"csrf_token": token, "reason": "cross-tenant"},
                                                   max_redirects=0)
            assert response.status == 404, f"{email}: POST {path} answered {response.status}"
    tried = [f"GET  {path}" for path in targets["pages"] + targets["files"]] + [f"POST {p}" for p in targets["posts"]]
    (journey.folder / "urls-tried.txt").write_text(
        f"Each answered 404 to {', '.join(FRONT_RANGE_PEOPLE)}:\n" + "\n".join(tried) + "\n")
    # The attempts changed nothing: not one audited state change.
    assert journey.query("SELECT COUNT(*) FROM audit_event")[0][0] == audit_before
