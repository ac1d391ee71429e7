"""The objects a race needs, built one request at a time through the same JSON API the races use
(so the setup does not depend on where a service lives), and committed for real.

Prices: the listing's items list at 450.00 and 120.00, the vehicle's contract prices are 90% of
that, so an order of `SMALL` of each (5,130.00) is within Tempe's approval limit (100,000.00) and is
approved on submit, and one of `LARGE` of each (102,600.00) waits for Tempe's approver.

Performance terms pay 1,000.00 fixed and up to 4,000.00 at risk per monthly period (availability: floor 95,
target 99), so a period reported at 98.5 % earns 4,500.00 and an unsettled one can still cost 5,000.00
(`MOST_PER_PERIOD`). Periods count from the terms' `start_date`, and a period can be reported only once it
has ended: `terms()` dates them so that the periods a race reports have ended.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from consortium.models import User
from consortium.services import issue_token
from marketplace.extensions import db
from tests.catalog.factories import listing_data

SMALL, LARGE, BALLAST = "10", "200", "2000"
CEILING = "90000000.00"
TEMPE_LIMIT = "80000000.00"
MOST_PER_PERIOD = Decimal("5000.00")  # fixed fee + at-risk fee (+ bonus pool 0): what a period can cost


def months_ago(months: int, days: int = 0) -> date:
    """`days` days before today, then `months` calendar months back (the day of the month clamped to 28,
    so that it exists in every month)."""
    day = date.today() - timedelta(days=days)
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, 28))


def terms(start: date, periods: int = 60, holdback_pct: str = "0", holdback_window: int = 1) -> dict:
    """Monthly performance terms with one KPI (availability in percent) whose period 1 begins on `start`."""
    return {
        "period": "month", "periods": periods, "start_date": start.isoformat(), "fixed_fee": "1000.00",
        "at_risk_fee": "4000.00", "bonus_pool": "0.00", "holdback_pct": holdback_pct,
        "holdback_window": holdback_window,
        "kpis": [{"code": "availability", "name": "Availability", "unit": "percent", "direction": "higher",
                  "weight": "1", "baseline": "97", "floor": "95.0", "target": "99.0", "stretch": "99.5"}],
    }


# Performance terms with a period per round (report one observation per period): begun three years ago,
# so the 20 periods a race reports have long ended.
TERMS = terms(months_ago(36))

ADMIN = "admin@gpsr.example"
VENDOR = "vendor@parksense.example"
BUYER = "buyer@tempe.example"
APPROVER = "approver@tempe.example"

_numbers = itertools.count(1)


def bearer(app, email: str) -> dict:
    """Headers with a new API token of `email`, used once already: a token's first use records
    `last_used_at` on its row, which would make two racing requests with it queue on that row."""
    with app.app_context():
        person = db.session.scalar(select(User).where(User.email == email))
        _, raw = issue_token(person, "concurrency tests")
        db.session.commit()
        db.session.remove()
    headers = {"Authorization": f"Bearer {raw}"}
    response = app.test_client().get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.get_json()
    return headers


class Market:
    """Builds listings, vehicles, participation, orders and observations in the `gpsr` consortium."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.people = {email: bearer(app, email) for email in (ADMIN, VENDOR, BUYER, APPROVER)}
        self.vehicle_ids: list[int] = []

    def headers(self, email: str) -> dict:
        return self.people[email]

    def post(self, path: str, email: str, body: dict | None = None, expect: int = 200) -> dict:
        response = self.client.post(path, json=body or {}, headers=self.people[email])
        assert response.status_code == expect, f"setup: POST {path} as {email}: {response.get_json()}"
        return response.get_json()

    def get(self, path: str, email: str = ADMIN) -> dict:
        response = self.client.get(path, headers=self.people[email])
        assert response.status_code == 200, f"GET {path}: {response.get_json()}"
        return response.get_json()

    # catalog -------------------------------------------------------------------------------------------
    def listing(self, status: str = "published") -> dict:
        """A ParkSense listing: draft, submitted or published."""
        listing = self.post("/api/v1/listings", VENDOR, listing_data(title=f"Race listing {next(_numbers)}"), 201)
        if status in ("submitted", "published"):
            listing = self.post(f"/api/v1/listings/{listing['id']}/submit", VENDOR)
        if status == "published":
            listing = self.post(f"/api/v1/listings/{listing['id']}/approve", ADMIN, {"reason": "Complete."})
        assert listing["status"] == status, listing
        return listing

    # contracts -----------------------------------------------------------------------------------------
    def vehicle(self, listing: dict | None = None, *, tempe_joins: bool = True) -> dict:
        """An active vehicle led by Mesa over a ParkSense listing, Tempe participating (executed, with a
        member not-to-exceed) unless `tempe_joins` is False."""
        listing = listing or self.listing()
        schedule = [{"price_item_id": item["id"],
                     "contract_price": str((Decimal(item["list_price"]) * Decimal("0.9")).quantize(Decimal("0.01")))}
                    for item in listing["price_items"]]
        mesa = self._organization("Mesa")
        today = date.today()
        data = {
            "number": f"RACE-{next(_numbers):04d}", "title": "Race vehicle", "lead_agency_id": mesa,
            "vendor_id": listing["vendor"]["id"], "listing_ids": [listing["id"]], "price_schedule": schedule,
            "start_date": (today - timedelta(days=30)).isoformat(),
            "end_date": (today + timedelta(days=700)).isoformat(), "ceiling": CEILING,
        }
        vehicle = self.post("/api/v1/vehicles", ADMIN, data, 201)
        vehicle = self.post(f"/api/v1/vehicles/{vehicle['id']}/activate", ADMIN)
        self.vehicle_ids.append(vehicle["id"])
        if tempe_joins:
            self.participation(vehicle, status="executed")
        return vehicle

    def participation(self, vehicle: dict, status: str = "requested") -> dict:
        """Tempe asks to join `vehicle` (with a member not-to-exceed); signs the addendum and the office
        countersigns it, as far as `status` says (requested, signed, executed)."""
        joined = self.post(f"/api/v1/vehicles/{vehicle['id']}/participations", APPROVER,
                           {"member_not_to_exceed": TEMPE_LIMIT}, 201)
        if status in ("signed", "executed"):  # "signed": by Tempe, awaiting the office's countersignature
            joined = self.post(f"/api/v1/participations/{joined['id']}/sign", APPROVER,
                               {"title": "City Manager", "authority": "Resolution 2026-14"})
        if status == "executed":
            joined = self.post(f"/api/v1/participations/{joined['id']}/approve", ADMIN,
                               {"title": "Director", "authority": "Board delegation", "reason": "Welcome."})
        assert joined["status"] == ("requested" if status == "signed" else status), joined
        return joined

    def _organization(self, name: str) -> int:
        found = [o["id"] for o in self.get("/api/v1/organizations")["results"] if o["name"] == name]
        assert found, f"no organization {name}"
        return found[0]

    def order(self, vehicle: dict, status: str = "draft", quantity: str = SMALL, performance=None) -> dict:
        """A Tempe order under `vehicle`: draft, pending_approval (LARGE), approved or active."""
        lines = [{"price_item_id": row["price_item_id"], "quantity": quantity} for row in vehicle["price_schedule"]]
        body = {"vehicle_id": vehicle["id"], "lines": [] if performance else lines, "po_number": "RACE"}
        if performance:
            body["performance"] = performance
        order = self.post("/api/v1/orders", BUYER, body, 201)
        if status != "draft":
            order = self.post(f"/api/v1/orders/{order['id']}/submit", BUYER)
        if order["status"] == "pending_approval" and status in ("approved", "active"):
            order = self.post(f"/api/v1/orders/{order['id']}/approve", APPROVER)
        if status == "active":
            order = self.post(f"/api/v1/orders/{order['id']}/accept", VENDOR)
        assert order["status"] == status, order
        return order

    def observation(self, order: dict, period: int, value: str = "98.5") -> dict:
        """ParkSense reports availability for `period` of a performance order."""
        return self.post(f"/api/v1/orders/{order['id']}/observations", VENDOR,
                         {"period": period, "kpi": "availability", "value": value, "note": "Meter export"}, 201)

    def verified(self, order: dict, period: int, value: str = "98.5") -> dict:
        """A value for `period`, reported by ParkSense and verified by Tempe's buyer: the period is settled."""
        observation = self.observation(order, period, value)
        return self.post(f"/api/v1/observations/{observation['id']}/verify", BUYER)

    # invoices ------------------------------------------------------------------------------------------
    @staticmethod
    def invoice_body(amount: str, *, period: int | None = None, lines: list[int] | None = None) -> dict:
        """What ParkSense sends to invoice a period (or lines) of an order, under a number never used."""
        body = {"number": f"RACE-INV-{next(_numbers):05d}", "issued_on": (date.today() - timedelta(days=1)).isoformat(),
                "amount": amount}
        if period is not None:
            body["period"] = period
        if lines is not None:
            body["lines"] = lines
        return body

    def invoice(self, order: dict, amount: str, status: str = "submitted", *, period: int | None = None,
                lines: list[int] | None = None) -> dict:
        """ParkSense invoices a period (or lines) of `order`; Tempe's buyer approves or rejects it if asked."""
        invoice = self.post(f"/api/v1/orders/{order['id']}/invoices", VENDOR,
                            self.invoice_body(amount, period=period, lines=lines), 201)
        if status == "approved":
            invoice = self.post(f"/api/v1/invoices/{invoice['id']}/approve", BUYER)
        elif status == "rejected":
            invoice = self.post(f"/api/v1/invoices/{invoice['id']}/reject", BUYER, {"reason": "Wrong amount."})
        assert invoice["status"] == status, invoice
        return invoice
