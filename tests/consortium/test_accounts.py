"""Signing in, tokens, deactivation and user administration, as people use them."""

import re

from sqlalchemy import select

from consortium import services
from consortium.models import ApiToken, User
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests.conftest import consortium, fetch, org, user


def test_every_demo_account_signs_in_and_sees_its_home(client, login):
    from marketplace.demo import CONSORTIA

    emails = []
    for spec in CONSORTIA:
        emails.append(spec["office"][1])
        emails += [f"{r}@{key}.example" for _, key, _, _ in spec["members"] for r in ("buyer", "approver")]
        emails += [f"vendor@{key}.example" for _, key in spec["vendors"]]
    for email in sorted(set(emails)):
        login(email)
        response = client.get("/", follow_redirects=True)
        assert response.status_code == 200, email
        page = response.get_data(as_text=True)
        who = user(email)
        assert who.organization.name in page and who.name in page
        assert "Member cities" in page


def test_home_shows_role_specific_information(client, login):
    login("approver@tempe.example")
    page = client.get("/c/gpsr/").get_data(as_text=True)
    assert "Approver (champion)" in page and "$100,000.00" in page and "never your own" in page
    login("vendor@brightstreet.example")
    assert "listings" in client.get("/c/gpsr/").get_data(as_text=True)
    # BrightStreet supplies Front Range too, and works there with the same account
    assert "Front Range Cities Alliance" in client.get("/c/frca/").get_data(as_text=True)
    assert client.get("/c/frca/members").status_code == 200


def test_token_shown_once_works_and_revocation_stops_it(client, login):
    login("buyer@mesa.example")
    page = client.post("/account/tokens", data={"name": "ERP"}).get_data(as_text=True)
    raw = re.search(r'data-testid="new-token">(am_[^<]+)<', page).group(1)
    assert raw not in client.get("/account").get_data(as_text=True)  # never shown again
    client.post("/logout")
    headers = {"Authorization": f"Bearer {raw}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["email"] == "buyer@mesa.example"
    assert me.get_json()["consortium"]["slug"] == "gpsr"
    login("buyer@mesa.example")
    token = fetch(select(ApiToken).where(ApiToken.user_id == user("buyer@mesa.example").id))
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    client.post("/logout")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_form_rejects_blank_name(client, login):
    login("buyer@mesa.example")
    response = client.post("/account/tokens", data={"name": "  "})
    assert response.status_code == 400 and b"usa-error-message" in response.data
    assert fetch(select(ApiToken).where(ApiToken.user_id == user("buyer@mesa.example").id)) is None


def test_deactivated_user_cannot_sign_in_or_use_tokens(client, login, api_token):
    headers = api_token("buyer@tempe.example")
    login("admin@gpsr.example")
    target = user("buyer@tempe.example")
    assert client.post(f"/c/gpsr/users/{target.id}/deactivate", data={"reason": "left the city"}).status_code == 302
    client.post("/logout")
    response = client.post("/login", data={"email": "buyer@tempe.example", "password": "demo-password"})
    assert response.status_code == 200 and b"do not match an active account" in response.data
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    event = fetch(select(AuditEvent).where(AuditEvent.action == "user.deactivated"))
    assert event.reason == "left the city" and event.object_id == target.id


def test_admin_cannot_deactivate_themselves_or_shared_vendor_staff(client, login):
    login("admin@gpsr.example")
    me = user("admin@gpsr.example")
    assert client.post(f"/c/gpsr/users/{me.id}/deactivate").status_code == 403
    shared = user("vendor@brightstreet.example")
    assert client.post(f"/c/gpsr/users/{shared.id}/deactivate").status_code == 403
    assert user("vendor@brightstreet.example").is_active


def test_admin_of_one_consortium_cannot_touch_another(client, login):
    login("admin@frca.example")
    target = user("buyer@mesa.example")
    assert client.post(f"/c/gpsr/users/{target.id}/deactivate").status_code == 404
    assert client.post(f"/c/frca/users/{target.id}/deactivate").status_code == 404
    assert user("buyer@mesa.example").is_active


# Adding a person is an invitation now: tests/consortium/test_invitations.py.


def test_invalid_user_is_refused_with_messages_and_nothing_saved(client, login):
    login("admin@gpsr.example")
    before = fetch(select(db.func.count(User.id)))
    response = client.post("/c/gpsr/users/new", data={
        "name": "Pat Lee", "email": "buyer@mesa.example", "organization_id": org("Tempe").id,
        "role": "vendor", "password": "short",
    })
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please correct" in page and "usa-error-message" in page
    assert fetch(select(db.func.count(User.id))) == before


def test_role_must_fit_the_organization(ctx):
    import pytest

    from marketplace.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        services.create_user(email="x@mesa.example", name="X", password="long-enough-pass",
                             organization=org("Mesa"), role="admin", consortium=consortium("gpsr"))
    assert "role" in err.value.fields


def test_user_creation_is_audited_in_the_same_transaction(ctx):
    created = services.create_user(email="audited@mesa.example", name="A", password="long-enough-pass",
                                   organization=org("Mesa"), role="buyer")
    db.session.flush()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_id == created.id,
                                                       AuditEvent.action == "user.created"))
    assert event is not None and event.consortium_id == consortium("gpsr").id
    db.session.rollback()
    leftover = select(AuditEvent).where(AuditEvent.after["email"].as_string() == "audited@mesa.example")
    assert db.session.scalar(leftover) is None


def test_audit_log_lists_changes_for_admins(client, login):
    login("admin@gpsr.example")
    page = client.get("/c/gpsr/audit?object_type=user").get_data(as_text=True)
    assert "user.created" in page and "buyer@mesa.example" in page
    assert "admin@frca.example" not in page  # Front Range's events stay there


def test_a_shared_suppliers_sign_in_activity_is_not_shown_to_one_consortiums_office(client, login):
    """BrightStreet supplies Greater Phoenix and Front Range: when its people sign in is not one office's
    business; the office's own people's last sign-in is."""
    login("vendor@brightstreet.example")
    login("admin@frca.example")
    for slug, shared_row, own_row in (("gpsr", "vendor@brightstreet.example", "buyer@mesa.example"),
                                      ("frca", "vendor@brightstreet.example", "admin@frca.example")):
        login(f"admin@{slug}.example")
        page = client.get(f"/c/{slug}/users").get_data(as_text=True)
        row = page[page.index(shared_row):]
        assert "Not shown: a shared supplier" in row[:row.index("</tr>")], slug
        own = page[page.index(own_row):]
        assert "Not shown" not in own[:own.index("</tr>")], slug


def test_a_vendor_supplying_two_consortia_switches_from_the_header(client, login):
    login("vendor@brightstreet.example")
    page = client.get("/c/gpsr/").get_data(as_text=True)
    switcher = page[page.index('data-testid="consortium-switcher"'):]
    switcher = switcher[:switcher.index("</li>")]
    assert 'href="/c/frca/"' in switcher and "Front Range Cities Alliance" in switcher
    assert "Greater Phoenix" not in switcher  # not the one already shown
    assert client.get("/c/frca/").status_code == 200
    for email in ("vendor@parksense.example", "buyer@mesa.example", "admin@gpsr.example"):
        login(email)
        assert 'data-testid="consortium-switcher"' not in client.get("/c/gpsr/").get_data(as_text=True), email
