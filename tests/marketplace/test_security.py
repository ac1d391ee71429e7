"""The security baseline as a user (or an attacker) would meet it."""

import re

import pytest

from marketplace import create_app
from marketplace.config import ConfigError


def test_csrf_required_on_forms(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
        assert response.status_code == 400
        assert b"form expired" in response.data
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/login", data={"email": "buyer@mesa.example", "password": "demo-password", "csrf_token": token}
        )
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_cookie_authenticated_api_calls_need_csrf_but_token_calls_do_not(app, client, login, api_token):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        headers = api_token("buyer@mesa.example")
        assert client.post("/api/v1/me", headers=headers).status_code == 405  # GET-only, but past CSRF
        login_page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password", "csrf_token": token})
        # a cookie-authenticated unsafe API call without a CSRF token is refused
        assert client.post("/api/v1/me").status_code == 400
        # a bogus bearer header does not unlock the cookie session
        assert client.post("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_session_cookie_flags_and_headers(client):
    response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_production_cookies_are_secure_and_secret_key_required(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    prod = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["PASSWORD_HASH_METHOD"] == "scrypt"


def test_pages_have_no_inline_script(client, login):
    login("admin@gpsr.example")
    for url in ["/c/gpsr/", "/c/gpsr/users", "/account", "/c/gpsr/audit"]:
        html = client.get(url).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {url}"
        assert " onclick=" not in html and "style=" not in html


def test_login_is_throttled_after_repeated_failures(client):
    for _ in range(5):
        response = client.post("/login", data={"email": "buyer@mesa.example", "password": "wrong-password-1"})
        assert response.status_code == 200
    response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
    assert response.status_code == 429
    assert b"Too many attempts: at most 5 per 15 minutes. Please wait a while and try again." in response.data


def test_successful_logins_are_not_throttled(client):
    for _ in range(8):
        response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
        assert response.status_code == 302
        client.post("/logout")


def test_no_user_enumeration_on_login(client):
    unknown = client.post("/login", data={"email": "ghost@mesa.example", "password": "whatever-password"})
    wrong = client.post("/login", data={"email": "buyer@mesa.example", "password": "whatever-password"})
    assert unknown.status_code == wrong.status_code == 200
    message = b"do not match an active account"
    assert message in unknown.data and message in wrong.data


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "http:/x"]
)
def test_no_open_redirect_after_login(client, target):
    response = client.post(f"/login?next={target}", data={"email": "buyer@mesa.example", "password": "demo-password"})
    assert response.status_code == 302
    assert response.location == "/c/gpsr/"


def test_local_next_is_honoured(client):
    response = client.post("/login?next=/account", data={"email": "buyer@mesa.example", "password": "demo-password"})
    assert response.location == "/account"


def test_error_pages_are_styled_and_json_under_api(client):
    page = client.get("/c/gpsr/no-such-page")
    assert page.status_code == 404 and b"usa-header" in page.data and b"Page not found" in page.data
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.get_json() == {"error": {"code": "not_found", "message": "Not found."}}


# --- CSRF on every form ----------------------------------------------------------------------------


def _unsafe_html_routes(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            urls.append(re.sub(r"<(?:int:)?([a-z_]+)>", lambda m: "gpsr" if m[1] == "consortium_slug" else "1",
                               rule.rule))
    return sorted(urls)


def _row_counts(app) -> dict:
    from sqlalchemy import func, select

    from catalog.listings.models import Listing
    from consortium.models import ApiToken, User
    from contracts.observations.models import Observation
    from contracts.orders.models import Order
    from contracts.vehicles.models import Participation, Vehicle
    from marketplace.audit import AuditEvent
    from marketplace.extensions import db

    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Listing, User, ApiToken, Participation, Vehicle, Order, Observation, AuditEvent)}


@pytest.mark.parametrize("role", ["admin@gpsr.example", "buyer@mesa.example", "vendor@brightstreet.example"])
def test_every_form_refuses_a_missing_or_forged_csrf_token(app, client, role):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post("/login", data={"email": role, "password": "demo-password", "csrf_token": token}
                           ).status_code == 302
        before = _row_counts(app)
        urls = _unsafe_html_routes(app)
        assert len(urls) > 30
        for url in urls:
            for data in ({"reason": "x", "name": "x"}, {"reason": "x", "csrf_token": "forged-" + token[7:]}):
                response = client.post(url, data=data)
                assert response.status_code == 400, f"{url} accepted a POST without a valid CSRF token"
                assert b"form expired" in response.data
        assert _row_counts(app) == before
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- headers on every kind of answer -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/login", "/c/gpsr/catalog", "/c/gpsr/no-such-page", "/api/v1/me",
                                 "/api/v1/openapi.json", "/api/v1/listings?consortium=gpsr",
                                 "/static/css/marketplace.css"])
def test_every_answer_carries_the_security_headers(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'",
                      "base-uri 'self'", "form-action 'self'"):
        assert directive in csp, f"{url}: CSP lacks {directive}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_signed_in_pages_are_not_cached_and_the_cookie_is_strict_enough(client):
    response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Domain=" not in cookie  # host-only: never sent to other subdomains
    page = client.get("/c/gpsr/orders")
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]


# --- sign-in throttle and redirects ----------------------------------------------------------------


def test_login_is_throttled_per_address_across_accounts(client):
    for i in range(10):
        response = client.post("/login", data={"email": f"nobody{i}@mesa.example", "password": "wrong-password-1"})
        assert response.status_code == 200
    response = client.post("/login", data={"email": "buyer@mesa.example", "password": "demo-password"})
    assert response.status_code == 429


@pytest.mark.parametrize("target", [
    "/\t/evil.example", "/\r\n/evil.example", "/%09/evil.example", "\\\\evil.example", "//evil.example@mesa",
    "https:evil.example", "HTTPS://evil.example", " //evil.example", "/\\/evil.example", "data:text/html,x",
    "http://localhost@evil.example/",
])
def test_no_open_redirect_with_tricky_next_values(client, target):
    response = client.post("/login", query_string={"next": target},
                           data={"email": "buyer@mesa.example", "password": "demo-password"})
    assert response.status_code == 302
    assert response.location in ("/c/gpsr/", target) and not _leaves_site(response.location)
    # already signed in: the sign-in page sends people on, never off the site
    again = client.get("/login", query_string={"next": target})
    assert again.status_code == 302 and not _leaves_site(again.location)


def _leaves_site(location: str) -> bool:
    from urllib.parse import urlsplit

    cleaned = re.sub(r"[\t\r\n ]", "", location).replace("\\", "/")
    parts = urlsplit(cleaned)
    return bool(parts.scheme or parts.netloc) or cleaned.startswith("//")


# --- PDFs never fetch what a user typed ------------------------------------------------------------

INJECTED = [
    '<img src="file:///etc/passwd">',
    '<link rel=stylesheet href="http://example.com/x.css">',
    '<iframe src="file:///etc/passwd"></iframe>',
    '<p style="background: url(file:///etc/passwd)">css</p>',
    "<style>@import url(http://example.com/i.css); body { background: url(file:///etc/shadow) }</style>",
    '<object data="http://example.com/o"></object><svg><image href="file:///etc/hosts"/></svg>',
]
SHORT = '<img src="file:///etc/passwd">'


def _inject_everywhere(app) -> dict[str, int]:
    """Hostile markup in every text a PDF shows: listing, price items, vehicle, addendum, order, KPI,
    measurement note, decision reasons and the consortium's legal basis."""
    from sqlalchemy import select

    from catalog.listings.models import Listing
    from consortium.models import Consortium
    from contracts.orders.models import Order
    from contracts.vehicles.models import Participation, Vehicle
    from marketplace.audit import AuditEvent
    from marketplace.extensions import db

    everything = " ".join(INJECTED)
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.status == "active"))
        vehicle = db.session.get(Vehicle, order.vehicle_id)
        participation = db.session.scalar(select(Participation).where(Participation.status == "executed",
                                                                      Participation.vehicle_id == vehicle.id))
        vehicle.title, vehicle.notes, vehicle.status_reason = SHORT, everything, everything
        for listing in db.session.scalars(select(Listing).where(Listing.id.in_([x.id for x in vehicle.listings]))):
            listing.title = SHORT
        for line in vehicle.schedule:
            line.price_item.name, line.price_item.unit = SHORT, "<b>u</b>"
        participation.special_terms, participation.decision_reason = everything, everything
        order.po_number, order.notes = SHORT, everything
        terms = dict(order.performance)
        terms["kpis"] = [{**terms["kpis"][0], "name": everything[:200]}]  # a unit is one of a few words
        order.performance = terms
        for obs in order.observations:
            obs.note = everything
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "order",
                                                                 AuditEvent.object_id == order.id)):
            event.reason = everything
        db.session.get(Consortium, order.consortium_id).legal_basis = everything
        db.session.commit()
        return {"order": order.id, "participation": participation.id}


def test_user_text_in_a_pdf_never_makes_the_renderer_fetch_anything(app, client, login, api_token, monkeypatch):
    from pypdf import PdfReader
    from weasyprint import urls

    from marketplace.pdf import PDF_HOST, LockedFetcher

    ids = _inject_everywhere(app)
    fetched, refused = [], []
    original = LockedFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        try:
            return original(self, url, headers)
        except Exception:
            refused.append(url)
            raise

    def forbidden(self, *args, **kwargs):
        raise AssertionError(f"WeasyPrint's own fetcher was used: {args!r}")

    monkeypatch.setattr(LockedFetcher, "fetch", spy)
    monkeypatch.setattr(urls.URLFetcher, "open", forbidden)
    pdfs = {
        "addendum": f"/c/gpsr/participations/{ids['participation']}/addendum.pdf",
        "purchase order": f"/c/gpsr/orders/{ids['order']}/po.pdf",
        "statement": f"/c/gpsr/orders/{ids['order']}/statement.pdf?period=1",
        "addendum (API)": f"/api/v1/participations/{ids['participation']}/addendum.pdf",
        "purchase order (API)": f"/api/v1/orders/{ids['order']}/po.pdf",
        "statement (API)": f"/api/v1/orders/{ids['order']}/statement.pdf?period=1",
    }
    headers = api_token("admin@gpsr.example")
    login("admin@gpsr.example")
    for name, url in pdfs.items():
        response = client.get(url, headers=headers if url.startswith("/api/") else {})
        assert response.status_code == 200 and response.data.startswith(b"%PDF"), f"{name}: {response.status_code}"
        text = " ".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(response.data)).pages)
        assert "file:///etc/passwd" in text.replace("\n", " "), f"{name}: the typed markup is not shown as text"
    assert not refused, f"the renderer asked for {refused}"
    assert all(url.startswith(f"http://{PDF_HOST}/static/") for url in fetched), fetched
    assert fetched, "the addendum's stylesheet should come through the locked fetcher"
