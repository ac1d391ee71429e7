"""axe-core (vendored in tests/e2e/vendor) on the pages people use most, including forms showing their
errors: no serious or critical violation. Every page's full result (moderate and minor findings too)
is written to `axe-report.json` next to its screenshot."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.helpers import blocking, describe, fill_fields, follow, run_axe, save_axe_report

pytestmark = pytest.mark.e2e


# (name, who, path): pages as they are
PAGES = [
    ("landing", None, "/"),
    ("home-public", None, "/c/gpsr/"),
    ("home-buyer", "buyer@tempe.example", "/c/gpsr/"),
    ("home-approver", "approver@tempe.example", "/c/gpsr/"),
    ("home-vendor", "vendor@brightstreet.example", "/c/gpsr/"),
    ("home-admin", "admin@gpsr.example", "/c/gpsr/"),
    ("catalog-public", None, "/c/gpsr/catalog"),
    ("catalog-search-facets", "buyer@tempe.example", "/c/gpsr/catalog?q=street+lighting&category=lighting"),
    ("catalog-did-you-mean", "buyer@tempe.example", "/c/gpsr/catalog?q=sensrs"),
    ("listing-public", None, "/c/gpsr/listings/{listing}"),
    ("listing-buyer", "buyer@tempe.example", "/c/gpsr/listings/{listing}"),
    ("listing-vendor", "vendor@brightstreet.example", "/c/gpsr/listings/{listing}"),
    ("vehicle-buyer", "buyer@tempe.example", "/c/gpsr/vehicles/{vehicle}"),
    ("vehicle-admin", "admin@gpsr.example", "/c/gpsr/vehicles/{vehicle}"),
    ("vehicles", "approver@chandler.example", "/c/gpsr/vehicles"),
    ("order-performance-buyer", "buyer@mesa.example", "/c/gpsr/orders/{performance_order}"),
    ("order-performance-vendor", "vendor@brightstreet.example", "/c/gpsr/orders/{performance_order}"),
    ("order-pending-approver", "approver@tempe.example", "/c/gpsr/orders/{pending_order}"),
    ("orders-approver-inbox", "approver@tempe.example", "/c/gpsr/orders"),
    ("order-form-from-pilot", "buyer@tempe.example", "/c/gpsr/vehicles/{vehicle}/orders/new?pilot={pilot}"),
    ("approval-queue", "admin@gpsr.example", "/c/gpsr/review"),
    ("review-submission", "admin@gpsr.example", "/c/gpsr/review/{submitted}"),
    ("pilot-library", "buyer@tempe.example", "/c/gpsr/pilots"),
    ("pilot", "buyer@tempe.example", "/c/gpsr/pilots/{pilot}"),
    ("home-buyer-waiting", "buyer@mesa.example", "/c/gpsr/"),
    ("notifications", "buyer@mesa.example", "/notifications"),
    ("notification-preferences", "vendor@brightstreet.example", "/account/notifications"),
    ("users-and-invitations", "admin@gpsr.example", "/c/gpsr/users"),
    ("forgot-password", None, "/forgot-password"),
    ("glossary", None, "/glossary"),
]


def _login_error(person, ids):
    person.goto("/login")
    person.page.get_by_label("E-mail address").fill("nobody@example.com")
    person.page.get_by_label("Password").fill("not-the-password")
    return person.page.get_by_role("button", name="Sign in")


def _listing_errors(person, ids):
    person.goto("/c/gpsr/listings/new")
    fill_fields(person.page, {"summary": "x" * 600, "price_items-0-name": "Sensor", "price_items-0-list_price": "abc"})
    return person.page.get_by_role("button", name="Save draft")


def _order_errors(person, ids):
    person.goto(f"/c/gpsr/vehicles/{ids.vehicle}/orders/new?pilot={ids.pilot}")
    fill_fields(person.page, {"lines-0-quantity": "-3", "performance-fixed_fee": "lots",
                              "performance-kpis-0-weight": "0.9"})
    return person.page.get_by_role("button", name="Save draft")


def _pilot_errors(person, ids):
    person.goto("/c/gpsr/pilots/new")
    fill_fields(person.page, {"metrics-0-kpi": "Energy use", "metrics-0-baseline": "high"})
    return person.page.get_by_role("button", name="Record pilot")


def _vehicle_errors(person, ids):
    person.goto("/c/gpsr/vehicles/new")
    fill_fields(person.page, {"number": "GPSR-2026-001", "ceiling": "-1"})
    return person.page.get_by_role("button", name="Save draft and continue")


def _invite_errors(person, ids):
    person.goto("/c/gpsr/users/new")
    fill_fields(person.page, {"email": "not-an-address"})
    return person.page.get_by_role("button", name="Send the invitation")


def _token_errors(person, ids):
    person.goto("/account")
    return person.page.get_by_role("button", name="Create token")


# (name, who, how to reach the form and what to submit) → the page showing the errors
FORMS: list[tuple[str, str | None, Callable]] = [
    ("login-errors", None, _login_error),
    ("listing-form-errors", "vendor@brightstreet.example", _listing_errors),
    ("order-form-errors", "buyer@tempe.example", _order_errors),
    ("pilot-form-errors", "buyer@tempe.example", _pilot_errors),
    ("vehicle-form-errors", "admin@gpsr.example", _vehicle_errors),
    ("invite-user-errors", "admin@gpsr.example", _invite_errors),
    ("token-form-errors", "buyer@tempe.example", _token_errors),
]


def _check(journey, person, name: str) -> None:
    violations = run_axe(person.page)
    save_axe_report(journey.folder, name, person.page.url, violations)
    person.shot(name)
    serious = blocking(violations)
    assert not serious, f"axe on {name} ({person.page.url}):\n{describe(serious)}"


@pytest.mark.parametrize(("name", "who", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_has_no_serious_accessibility_violations(journey, ids, name, who, path):
    person = journey.person(who)
    person.goto(path.format(**ids.__dict__))
    _check(journey, person, name)


@pytest.mark.parametrize(("name", "who", "fill"), FORMS, ids=[f[0] for f in FORMS])
def test_form_with_errors_has_no_serious_accessibility_violations(journey, ids, name, who, fill):
    person = journey.person(who)
    follow(fill(person, ids))
    summary = person.page.locator("#error-summary")
    assert summary.is_visible(), f"{name}: no error summary on {person.page.url}"
    invalid = person.page.locator("[aria-invalid=true]")
    assert invalid.count() > 0 or name in ("login-errors", "token-form-errors"), f"{name}: no field marked invalid"
    _check(journey, person, name)
