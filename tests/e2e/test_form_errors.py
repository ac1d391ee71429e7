"""One refused submission of each main form, on a phone without JavaScript and on a desktop with it: the
page starts with an error summary that links to the field, the field is marked invalid with its message
beside it, what the person typed is still there, and the page fits the window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.e2e.helpers import fill_fields, follow

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Form:
    name: str
    who: str | None
    path: Callable[[object], str]   # ids → the page with the form
    values: dict[str, str]          # element id → what is typed
    button: str                     # the submit button's accessible name
    invalid: str                    # the element id that must come back marked invalid
    kept: tuple[str, ...] = ()      # element ids whose typed value must still be there
    within: str = "main"            # where the button is (a page may have several forms)


FORMS = [
    Form("listing", "vendor@brightstreet.example", lambda ids: "/c/gpsr/listings/new",
         {"title": "Solar bench", "price_items-0-name": "Bench", "price_items-0-list_price": "abc"},
         "Save draft", "price_items-0-list_price", kept=("title", "price_items-0-name", "price_items-0-list_price")),
    Form("order", "buyer@tempe.example", lambda ids: f"/c/gpsr/vehicles/{ids.vehicle}/orders/new?pilot={ids.pilot}",
         {"performance-fixed_fee": "lots"}, "Save draft", "performance-fixed_fee", kept=("performance-fixed_fee",)),
    Form("pilot", "buyer@tempe.example", lambda ids: "/c/gpsr/pilots/new",
         {"metrics-0-kpi": "Energy use", "metrics-0-baseline": "high"}, "Record pilot", "metrics-0-baseline",
         kept=("metrics-0-kpi", "metrics-0-baseline")),
    Form("vehicle", "admin@gpsr.example", lambda ids: "/c/gpsr/vehicles/new",
         {"number": "GPSR-2027-009", "ceiling": "-1"}, "Save draft and continue", "ceiling",
         kept=("number", "ceiling")),
    Form("invitation", "admin@gpsr.example", lambda ids: "/c/gpsr/users/new",
         {"email": "not-an-address"}, "Send the invitation", "email", kept=("email",)),
    Form("measurement", "vendor@brightstreet.example", lambda ids: f"/c/gpsr/orders/{ids.performance_order}",
         {"obs-value": "lots", "obs-note": "From the meter export"}, "Report", "obs-value",
         kept=("obs-value", "obs-note"), within="#report-form"),
    Form("payment", "buyer@mesa.example", lambda ids: f"/c/gpsr/invoices/{ids.approved_invoice}",
         {"paid_on": "2099-01-01"}, "Record payment", "paid_on", kept=("paid_on",), within="#pay-form"),
]

MODES = [("phone-nojs", 390, False), ("desktop-js", 1280, True)]


@pytest.mark.parametrize("mode", MODES, ids=[m[0] for m in MODES])
@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_a_refused_form_says_so_at_the_field_and_keeps_the_input(journey, ids, form, mode):
    _, width, js = mode
    person = journey.person(form.who, js=js, width=width)
    person.goto(form.path(ids))
    page = person.page
    assert page.locator(f"#{form.invalid}").count() == 1, f"{form.name}: no #{form.invalid} on {page.url}"
    fill_fields(page, form.values)
    follow(page.locator(form.within).get_by_role("button", name=form.button, exact=True).first)

    summary = page.locator("#error-summary")
    assert summary.is_visible(), f"{form.name}: no error summary on {page.url}"
    assert summary.locator(f'a[href="#{form.invalid}"]').count() == 1, \
        f"{form.name}: the summary does not link to #{form.invalid}: {summary.inner_text()}"
    field = page.locator(f"#{form.invalid}")
    assert field.get_attribute("aria-invalid") == "true", f"{form.name}: #{form.invalid} is not marked invalid"
    beside = field.evaluate("""el => {
        const group = el.closest('.usa-form-group, td, fieldset');
        const message = group && group.querySelector('.usa-error-message');
        return message ? message.textContent.trim() : null;
    }""")
    assert beside, f"{form.name}: no error message beside #{form.invalid}"
    described = field.get_attribute("aria-describedby") or ""
    assert any(page.locator(f"#{ref}").count() and "usa-error-message" in (page.locator(f"#{ref}").get_attribute(
        "class") or "") for ref in described.split()), f"{form.name}: #{form.invalid} is not described by its message"
    for element_id in form.kept:
        assert page.locator(f"#{element_id}").input_value() == form.values[element_id], \
            f"{form.name}: what was typed in #{element_id} is lost"
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{form.name}: the page with errors is {overflow}px wider than the window"
    person.shot(f"{form.name}-{mode[0]}")
