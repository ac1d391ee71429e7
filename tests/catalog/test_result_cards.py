"""Catalog result cards a clerk can scan (issue 19): each result is a heading that links to the listing and a
list of labelled facts (Vendor, Category, Pricing, Price with its unit, Evidence naming the city whose pilot
proved it, and, for a buyer or approver whose city can order it today, the contract vehicle); results sort
by relevance, lowest price or newest, on the page and in the API (rating waits for reviews)."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from catalog.listings.models import Listing
from catalog.listings.queries import lowest_price_text, price_with_unit
from marketplace.extensions import db
from tests.catalog.factories import make_listing

LED, SOLAR = "Adaptive LED street lighting", "Solar-powered pathway lights"


class _Cards(HTMLParser):
    """The result cards of a catalog page as a reader meets them: {title: {"href": …, label: value}}."""

    def __init__(self):
        super().__init__()
        self.cards: dict[str, dict[str, str]] = {}
        self.order: list[str] = []
        self._card: dict[str, str] | None = None
        self._in: str | None = None
        self._text = ""
        self._label = ""
        self._heading_level = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self._card = {}
        elif self._card is not None and tag in ("h2", "h3", "h4", "dt", "dd"):
            self._in, self._text = tag, ""
            if tag.startswith("h"):
                self._heading_level = tag
        elif self._card is not None and tag == "a" and self._in and self._in.startswith("h"):
            self._card["href"] = attrs.get("href", "")

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if self._card is None:
            return
        text = " ".join(self._text.split())
        if tag == self._in and tag.startswith("h"):
            self._card["title"], self._card["heading"] = text, tag
        elif tag == self._in == "dt":
            self._label = text.rstrip(":")
        elif tag == self._in == "dd":
            self._card[self._label] = text
        elif tag == "article":
            self.cards[self._card["title"]] = self._card
            self.order.append(self._card["title"])
            self._card = None
        if tag == self._in:
            self._in = None


def cards(client, url: str = "/c/gpsr/catalog") -> _Cards:
    response = client.get(url)
    assert response.status_code == 200
    parser = _Cards()
    parser.feed(response.get_data(as_text=True))
    return parser


def listing_id(title: str, slug: str = "gpsr") -> int:
    from tests.conftest import consortium, fetch

    return fetch(select(Listing.id).where(Listing.title == title, Listing.consortium_id == consortium(slug).id))


# --- labels and values ---------------------------------------------------------------------------------


def test_each_result_is_a_linked_heading_with_labelled_facts(client):
    page = cards(client)
    led = page.cards[LED]
    assert led["heading"] == "h3" and led["href"] == f"/c/gpsr/listings/{listing_id(LED)}"
    assert led["Vendor"] == "BrightStreet Lighting"
    assert led["Category"] == "Lighting"
    assert led["Pricing"] == "Purchase, As a service, Vendor financed"
    # several price items: the lowest, with its unit
    assert led["Price"] == "from $9.50 per pole per month"
    # one price item: its price and unit, money written the one way
    assert page.cards[SOLAR]["Price"] == "$1,250.00 each"
    assert page.cards["Adaptive traffic signal control"]["Price"] == "$28,000.00 per intersection"


def test_a_price_says_what_it_is_per(app, client):
    with app.test_request_context():
        make_listing("published", title="Bollard lights", price_items=[
            {"name": "Bollard light", "unit": "fixture", "list_price": "310.00"}])
        make_listing("published", title="Wall packs", price_items=[
            {"name": "Wall pack", "unit": "per fixture", "list_price": "310.00"},
            {"name": "Photocell", "unit": "each", "list_price": "1250.00"}])
    page = cards(client, "/c/gpsr/catalog?q=bollard+OR+wall")
    assert page.cards["Bollard lights"]["Price"] == "$310.00 per fixture"
    assert page.cards["Wall packs"]["Price"] == "from $310.00 per fixture"


def test_price_wording():
    assert price_with_unit("310", "fixture") == "$310.00 per fixture"
    assert price_with_unit("1250", "per month") == "$1,250.00 per month"
    assert price_with_unit("450", "each") == "$450.00 each"
    assert price_with_unit("450", "") == "$450.00"
    assert lowest_price_text(Listing(price_items=[])) is None


def test_proven_names_the_city_whose_pilot_proved_it(client, login):
    login("buyer@tempe.example")
    page = cards(client)
    assert page.cards[LED]["Evidence"] == "Proven in Mesa"
    assert "Evidence" not in page.cards[SOLAR]  # no verified pilot met its targets
    # the public learns it is proven; who measured it is for the consortium's people
    login(None)
    assert cards(client).cards[LED]["Evidence"] == "Proven by a member city"


# --- on contract for the viewer's city -----------------------------------------------------------------


@pytest.mark.parametrize("email, city", [
    ("buyer@tempe.example", "Tempe"),  # executed participating addendum
    ("approver@tempe.example", "Tempe"),
    ("buyer@mesa.example", "Mesa"),  # the lead agency
])
def test_a_city_that_can_order_it_today_is_told_which_vehicle(client, login, email, city):
    login(email)
    page = cards(client)
    assert page.cards[LED]["Contract"] == f"On contract for {city}: GPSR-2026-001"
    assert page.cards[SOLAR]["Contract"] == f"On contract for {city}: GPSR-2026-001"
    assert "Contract" not in page.cards["Parking guidance signs"]  # no vehicle covers it
    html = client.get("/c/gpsr/catalog").get_data(as_text=True)
    vehicle = html.split('data-testid="on-contract"', 1)[1]
    assert '/c/gpsr/vehicles/' in vehicle.split("</dd>", 1)[0]


@pytest.mark.parametrize("email", [
    None,  # the public
    "vendor@brightstreet.example",  # the vendor on the vehicle has no city
    "admin@gpsr.example",  # the office orders nothing itself
    "buyer@chandler.example",  # its request to join is still pending
    "buyer@scottsdale.example",  # not a participant
    "buyer@boulder.example",  # another consortium's city
])
def test_nobody_else_is_told_it_is_on_contract(client, login, email):
    login(email)
    page = cards(client)
    assert all("Contract" not in card for card in page.cards.values())
    assert "On contract" not in client.get("/c/gpsr/catalog").get_data(as_text=True)


def test_boulder_sees_its_own_consortiums_vehicle(client, login):
    login("buyer@boulder.example")
    assert cards(client, "/c/frca/catalog").cards[LED]["Contract"] == "On contract for Boulder: FRCA-2026-001"


# --- sorting ---------------------------------------------------------------------------------------------


def _prices_in(page: _Cards) -> list[float]:
    return [float(page.cards[t]["Price"].split("$")[1].split()[0].replace(",", "")) for t in page.order]


def test_the_page_sorts_by_lowest_price_and_offers_relevance_only_with_a_query(client):
    page = cards(client, "/c/gpsr/catalog?sort=price")
    prices = _prices_in(page)
    assert prices == sorted(prices) and len(prices) >= 9
    html = client.get("/c/gpsr/catalog").get_data(as_text=True)
    sort = html.split('data-testid="sort"', 1)[1].split("</nav>", 1)[0]
    assert 'aria-current="true">Newest<' in sort and "Lowest price" in sort and "Relevance" not in sort
    assert "Highest rated" in sort  # published reviews order the catalog too
    with_query = client.get("/c/gpsr/catalog?q=lighting").get_data(as_text=True)
    assert 'aria-current="true">Relevance<' in with_query.split('data-testid="sort"', 1)[1].split("</nav>")[0]
    # a sort the page does not know is the default one, not an error
    assert client.get("/c/gpsr/catalog?sort=rating").status_code == 200


@pytest.fixture
def dated(app, _transaction):
    """Three listings published on different days (the demo's were all published at load time)."""
    titles = {"Kerb sensors": datetime(2031, 1, 5, tzinfo=UTC), "Noise monitors": datetime(2031, 3, 1, tzinfo=UTC),
              "Flood gauges": datetime(2031, 2, 1, tzinfo=UTC)}
    with app.test_request_context():
        for title, when in titles.items():
            listing = make_listing("published", title=title, category="water")
            listing.published_at = when
        db.session.commit()
    return titles


def test_newest_first_is_the_default_without_a_query(client, dated):
    page = cards(client, "/c/gpsr/catalog")
    assert page.order[:3] == ["Noise monitors", "Flood gauges", "Kerb sensors"]
    result = client.get("/api/v1/listings?consortium=gpsr").get_json()
    assert result["sort"] == "newest"
    assert [r["title"] for r in result["results"][:3]] == ["Noise monitors", "Flood gauges", "Kerb sensors"]


def test_api_sorts_and_pages_stay_consistent(client):
    def titles(**args):
        return client.get("/api/v1/listings", query_string={"consortium": "gpsr", **args}).get_json()

    full = titles(sort="price", per_page=100)
    assert full["sort"] == "price"
    lowest = [min(float(p["list_price"]) for p in r["price_items"]) for r in full["results"]]
    assert lowest == sorted(lowest)
    paged = [r["id"] for page in (1, 2, 3, 4) for r in titles(sort="price", per_page=3, page=page)["results"]]
    assert paged == [r["id"] for r in full["results"]]
    # relevance is the default with a query, and "relevance" without one means newest
    assert titles(q="lighting")["sort"] == "relevance"
    assert titles(sort="relevance")["sort"] == "newest"
    assert titles(q="lighting", sort="newest")["sort"] == "newest"


@pytest.mark.parametrize("sort, message", [
    ("cheapest", "Use relevance, price, newest or rating."),
])
def test_api_refuses_an_unknown_sort(client, sort, message):
    response = client.get(f"/api/v1/listings?consortium=gpsr&sort={sort}")
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"sort": message}


def test_openapi_declares_the_sort(client):
    document = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"]: p for p in document["paths"]["/api/v1/listings"]["get"]["parameters"]}
    assert params["sort"]["schema"]["enum"] == ["relevance", "price", "newest", "rating"]


# --- cost ------------------------------------------------------------------------------------------------


def test_cards_cost_the_same_queries_whatever_the_number_of_results(app, client, login, count_queries):
    login("buyer@tempe.example")

    def queries(url):
        client.get(url)  # warm the index
        with count_queries() as q:
            assert client.get(url).status_code == 200
        return q.count

    one = queries("/c/gpsr/catalog?q=solar")
    with app.test_request_context():
        for i in range(15):
            make_listing("published", title=f"Solar bench {i}",
                         vendor_email="vendor@brightstreet.example" if i % 2 else "vendor@parksense.example")
    many = queries("/c/gpsr/catalog?q=solar")
    assert cards(client, "/c/gpsr/catalog?q=solar").cards[SOLAR]["Contract"] == "On contract for Tempe: GPSR-2026-001"
    assert many == one
