"""The glossary page, the inline links from the domain's words to it, and the payout preview of
pay-for-performance terms (DESIGN section 5, worked example A) on the order form and the order page."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts.orders.models import Order
from contracts.performance import parse_terms, payout_preview
from contracts.vehicles.models import Participation
from marketplace.glossary import GROUPS, TERMS, gloss
from tests.conftest import fetch
from tests.contracts.order_factories import make_order, make_vehicle
from tests.contracts.performance_builders import availability_kpi, credits_section, savings_section, streetlight_data

D = Decimal


def _text(html: str) -> str:
    """What a reader sees: the page's text without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


# --------------------------------------------------------------------------------------
# The glossary itself


def test_every_term_has_a_definition_and_an_anchor_in_one_section():
    grouped = [slug for _, slugs in GROUPS for slug in slugs]
    assert sorted(grouped) == sorted(TERMS) and len(grouped) == len(set(grouped))
    for slug, term in TERMS.items():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", slug), slug
        assert term.name.strip() and len(term.definition) > 40, slug
        assert term.definition.endswith("."), slug


@pytest.mark.parametrize("slug", ["contract-vehicle", "ceiling", "lead-agency", "participating-addendum",
                                  "participation-limit", "not-to-exceed", "approval-limit", "pay-for-performance",
                                  "kpi", "floor", "target", "stretch", "performance-factor", "at-risk-fee",
                                  "fixed-fee", "bonus-pool", "holdback", "holdback-window", "service-credits",
                                  "shared-savings", "settlement", "period", "statement", "closeout", "invoice",
                                  "pilot-outcome", "proven", "admin-fee"])
def test_the_words_of_the_issue_are_defined(slug):
    assert slug in TERMS


def test_definitions_agree_with_the_worked_examples():
    assert "0.55" in TERMS["performance-factor"].definition  # 97.2 between 95 and 99 (example A, period 1)
    assert "22,000.00" in TERMS["at-risk-fee"].definition
    assert "3,000.00" in TERMS["service-credits"].definition  # 98.2 on 12,000.00 (example C)
    window = TERMS["holdback-window"].definition
    assert "released" in window and "forfeited" in window and "average" in window


def test_the_glossary_is_public_with_an_anchor_per_term(client, login):
    login(None)
    response = client.get("/glossary")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for slug, term in TERMS.items():
        assert f'<dt id="{slug}"' in page
        assert f'href="#{slug}"' in page  # the contents link to it
        assert term.definition in page.replace("&#39;", "'").replace("&amp;", "&")
    assert "<dfn>Holdback window</dfn>" in page


def test_every_page_links_the_glossary_in_its_footer(client, login):
    login(None)
    assert 'href="/glossary"' in client.get("/login").get_data(as_text=True)
    login("buyer@mesa.example")
    assert 'href="/glossary"' in client.get("/c/gpsr/").get_data(as_text=True)


def test_gloss_links_the_word_itself(app):
    with app.test_request_context():
        link = str(gloss("holdback-window"))
        other = str(gloss("holdback", "held <back>"))
        with pytest.raises(KeyError):
            gloss("no-such-term")
    assert link.startswith('<a class="usa-link glossary-link" href="/glossary#holdback-window"')
    assert link.endswith("><dfn>holdback window</dfn></a>")
    assert "<dfn>held &lt;back&gt;</dfn>" in other  # the text is escaped


# --------------------------------------------------------------------------------------
# The payout preview: example A's terms, settled at the targets, floors and stretch


def test_preview_of_example_a_to_the_cent():
    preview = payout_preview(parse_terms(streetlight_data()))
    rows = {s.name: (s.period.pf, s.period.gross, s.period.paid_now, s.period.holdback, s.window, s.total)
            for s in preview.scenarios}
    assert rows == {
        "target": (D(1), D("50000.00"), D("45000.00"), D("5000.00"), "released", D("150000.00")),
        "floor": (D(0), D("10000.00"), D("9000.00"), D("1000.00"), "released", D("30000.00")),
        "stretch": (D(1), D("52000.00"), D("46800.00"), D("5200.00"), "released", D("156000.00")),
    }
    assert [(m.code, v) for m, v in preview.scenarios[0].values] == [("availability", D("99.0"))]
    assert not preview.credits_assumed and preview.savings_cap is None


def test_preview_without_a_bonus_has_no_stretch_and_no_terms_no_preview():
    preview = payout_preview(parse_terms(streetlight_data(bonus_pool="0")))
    assert [s.name for s in preview.scenarios] == ["target", "floor"]
    assert payout_preview(None) is None


def test_preview_of_terms_without_kpis_assumes_no_service_credit():
    terms = parse_terms(streetlight_data(at_risk_fee="0", bonus_pool="0", holdback_pct="0", kpis=[],
                                         service_credits=credits_section(), shared_savings=savings_section()))
    preview = payout_preview(terms)
    (only,) = preview.scenarios
    assert only.name == "fixed" and only.period.credits == 0 and only.period.paid_now == D("10000.00")
    assert preview.credits_assumed and preview.savings_cap == D("180000.00")


def _form(vehicle, **changes) -> dict:
    form = {"po_number": "GLOSS-1", "performance-enabled": "y", "performance-period": "month",
            "performance-start_date": "2026-01-01", "performance-periods": "3",
            "performance-fixed_fee": "10000.00", "performance-at_risk_fee": "40000.00",
            "performance-bonus_pool": "2000.00", "performance-holdback_pct": "10", "performance-holdback_window": "3",
            "performance-kpis-0-code": "availability", "performance-kpis-0-name": "Availability",
            "performance-kpis-0-unit": "percent", "performance-kpis-0-direction": "higher",
            "performance-kpis-0-weight": "1", "performance-kpis-0-baseline": "92", "performance-kpis-0-floor": "95.0",
            "performance-kpis-0-target": "99.0", "performance-kpis-0-stretch": "99.5"}
    for i, item in enumerate(vehicle.schedule):
        form[f"lines-{i}-price_item_id"] = str(item.price_item_id)
        form[f"lines-{i}-quantity"] = ""
    form.update(changes)
    return form


TARGET = "At the target (Availability 99%) a period pays $50,000.00: $45,000.00 now, $5,000.00 held back until " \
         "the window is released. Over all 3 periods: $150,000.00."
FLOOR = "At the floor (Availability 95%) a period pays $10,000.00: $9,000.00 now, $1,000.00 held back until the " \
        "window is released."
STRETCH = "At the stretch (Availability 99.5%) a period pays $52,000.00: $46,800.00 now, $5,200.00 held back"


@pytest.fixture
def vehicle(app, _transaction):
    with app.test_request_context():
        return make_vehicle()


def test_preview_button_shows_the_payout_and_saves_nothing(client, login, vehicle):
    login("buyer@tempe.example")
    before = fetch(select(func.count(Order.id)))
    response = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new", data=_form(vehicle, action="preview"))
    assert response.status_code == 200
    text = _text(response.get_data(as_text=True))
    assert TARGET in text and FLOOR in text and STRETCH in text
    assert "That includes a bonus of $2,000.00." in text
    assert fetch(select(func.count(Order.id))) == before
    page = response.get_data(as_text=True)
    assert 'value="40000.00"' in page  # the input is kept
    assert 'href="/glossary#holdback"' in page and 'href="/glossary#holdback-window"' in page


def test_preview_of_invalid_terms_says_what_to_correct(client, login, vehicle):
    login("buyer@tempe.example")
    bad = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new",
                      data=_form(vehicle, action="preview", **{"performance-kpis-0-weight": "0.5"}))
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "weights must add up to 1" in page and 'data-testid="payout-preview"' not in page
    unticked = _form(vehicle, action="preview")
    del unticked["performance-enabled"]
    response = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new", data=unticked)
    assert response.status_code == 400
    assert "To see what a period pays, tick" in response.get_data(as_text=True)


def test_save_draft_that_fails_still_shows_the_preview(client, login, vehicle):
    login("buyer@tempe.example")
    data = _form(vehicle, **{"lines-0-quantity": "-3"})
    response = client.post(f"/c/gpsr/vehicles/{vehicle.id}/orders/new", data=data)
    assert response.status_code == 400
    assert TARGET in _text(response.get_data(as_text=True))


def test_order_page_and_edit_form_show_the_preview_and_link_the_words(app, client, login, vehicle):
    with app.test_request_context():
        terms = streetlight_data(kpis=[availability_kpi(name="Availability")])
        order_id = make_order(vehicle, performance=terms).id
    login("buyer@tempe.example")
    page = client.get(f"/c/gpsr/orders/{order_id}").get_data(as_text=True)
    text = _text(page)
    assert TARGET in text and FLOOR in text and STRETCH in text
    for slug in ("not-to-exceed", "approval-limit", "holdback", "holdback-window", "performance-factor",
                 "settlement", "at-risk-fee", "floor"):
        assert f'href="/glossary#{slug}"' in page, slug
    assert '<dfn>PF</dfn>' in page and "<dfn>held back</dfn>" in page
    edit = client.get(f"/c/gpsr/orders/{order_id}/edit")
    assert edit.status_code == 200 and TARGET in _text(edit.get_data(as_text=True))


def test_vehicle_and_participation_pages_link_the_words(app, client, login, vehicle):
    login("admin@gpsr.example")
    page = client.get(f"/c/gpsr/vehicles/{vehicle.id}").get_data(as_text=True)
    for slug in ("lead-agency", "admin-fee", "ceiling", "participating-addendum", "participation-limit"):
        assert f'href="/glossary#{slug}"' in page, slug
    participation_id = fetch(select(Participation.id).where(Participation.vehicle_id == vehicle.id))
    page = client.get(f"/c/gpsr/participations/{participation_id}").get_data(as_text=True)
    assert 'href="/glossary#participation-limit"' in page and 'href="/glossary#participating-addendum"' in page
