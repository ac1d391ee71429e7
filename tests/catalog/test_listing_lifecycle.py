"""The listing, revision and pilot lifecycles through the one transition kernel: a step the current state
no longer allows answers 409 with what happened and who did it, in the API and on the HTML pages alike;
someone who may never take the step hears 403 first; the buttons shown are the steps allowed."""

from __future__ import annotations

import re

from sqlalchemy import select

from catalog.listings.models import ListingRevision
from catalog.listings.services import LISTING_LIFECYCLE, REVISION_LIFECYCLE
from catalog.pilots.services import PILOT_LIFECYCLE
from marketplace.audit import AuditEvent
from marketplace.extensions import db
from tests.catalog.factories import make_listing
from tests.catalog.test_pilots import committed, recorded_pilot
from tests.conftest import fetch, user

ADMIN, VENDOR = "admin@gpsr.example", "vendor@parksense.example"
WHEN = r"\d{1,2}:\d\d [AP]M MST( on \d{1,2} [A-Z][a-z]{2} \d{4})?"


def _sentence(noun: str, happened: str, who: str, refused: str) -> re.Pattern:
    return re.compile(rf"This {noun} was {happened} at {WHEN} by {re.escape(user(who).name)}, "
                      rf"so it cannot be {refused} now\.")


def _error(response) -> str:
    body = response.get_json()["error"]
    assert body["code"] == "conflict", body
    return body["message"]


def _listing_id(app, status: str) -> int:
    with app.test_request_context():
        return make_listing(status, title=f"Lifecycle {status} listing").id


def _revise(client, api_token, listing_id: int, title: str) -> None:
    response = client.patch(f"/api/v1/listings/{listing_id}", json={"title": title}, headers=api_token(VENDOR))
    assert response.status_code == 200, response.get_json()


def _revisions(app, listing_id: int) -> list[str]:
    """The statuses of a listing's revisions, oldest first."""
    with app.app_context():
        return list(db.session.scalars(select(ListingRevision.status).where(ListingRevision.listing_id == listing_id)
                                       .order_by(ListingRevision.id)))


def test_the_tables_cover_every_state():
    for lifecycle in (LISTING_LIFECYCLE, REVISION_LIFECYCLE, PILOT_LIFECYCLE):
        reached = {t.target for t in lifecycle.transitions} | {s for t in lifecycle.transitions for s in t.sources}
        assert reached == set(lifecycle.states), lifecycle.noun


def test_approving_an_approved_listing_says_who_published_it(app, client, api_token):
    listing_id = _listing_id(app, "submitted")
    admin = api_token(ADMIN)
    assert client.post(f"/api/v1/listings/{listing_id}/approve", headers=admin).status_code == 200
    again = client.post(f"/api/v1/listings/{listing_id}/approve", json={"reason": "Looks good."}, headers=admin)
    assert again.status_code == 409
    assert _sentence("listing", "published", ADMIN, "published").fullmatch(_error(again))
    rejected = client.post(f"/api/v1/listings/{listing_id}/reject", json={"reason": "Too late."}, headers=admin)
    assert rejected.status_code == 409
    assert _sentence("listing", "published", ADMIN, "sent back for changes").fullmatch(_error(rejected))


def test_the_html_pages_show_the_same_sentence(app, client, login):
    listing_id = _listing_id(app, "submitted")
    login(ADMIN)
    assert client.post(f"/c/gpsr/listings/{listing_id}/approve").status_code == 302
    again = client.post(f"/c/gpsr/listings/{listing_id}/approve")
    assert again.status_code == 409
    page = again.get_data(as_text=True)
    assert _sentence("listing", "published", ADMIN, "published").search(page), page


def test_double_submit_and_decisions_out_of_turn(app, client, api_token):
    listing_id = _listing_id(app, "draft")
    vendor, admin = api_token(VENDOR), api_token(ADMIN)
    assert client.post(f"/api/v1/listings/{listing_id}/submit", headers=vendor).status_code == 200
    again = client.post(f"/api/v1/listings/{listing_id}/submit", headers=vendor)
    assert again.status_code == 409
    assert _sentence("listing", "submitted", VENDOR, "submitted").fullmatch(_error(again))
    withdraw = client.post(f"/api/v1/listings/{listing_id}/withdraw", headers=vendor)
    assert withdraw.status_code == 409 and _error(withdraw).startswith("This listing was submitted at ")
    # who may never take a step hears so before anything about the state
    assert client.post(f"/api/v1/listings/{listing_id}/approve", headers=vendor).status_code == 403
    assert client.post(f"/api/v1/listings/{listing_id}/withdraw", headers=admin).status_code == 403


def test_a_suspended_listing_cannot_be_withdrawn_or_suspended_again(app, client, api_token):
    listing_id = _listing_id(app, "suspended")
    vendor, admin = api_token(VENDOR), api_token(ADMIN)
    withdraw = client.post(f"/api/v1/listings/{listing_id}/withdraw", headers=vendor)
    assert withdraw.status_code == 409
    assert _sentence("listing", "suspended", ADMIN, "withdrawn").fullmatch(_error(withdraw))
    suspend = client.post(f"/api/v1/listings/{listing_id}/suspend", json={"reason": "Again."}, headers=admin)
    assert suspend.status_code == 409
    assert _sentence("listing", "suspended", ADMIN, "suspended").fullmatch(_error(suspend))
    no_reason = client.post(f"/api/v1/listings/{listing_id}/reinstate", json={}, headers=admin)
    assert no_reason.status_code == 400 and "reason" in no_reason.get_json()["error"]["fields"]
    reinstated = client.post(f"/api/v1/listings/{listing_id}/reinstate", json={"reason": "Fixed."}, headers=admin)
    assert reinstated.status_code == 200 and reinstated.get_json()["status"] == "published"


def test_a_listing_never_submitted_is_in_a_state_not_a_story(app, client, api_token):
    listing_id = _listing_id(app, "draft")
    response = client.post(f"/api/v1/listings/{listing_id}/approve", headers=api_token(ADMIN))
    assert response.status_code == 409
    assert _error(response) == "This listing is draft, so it cannot be published now."


def test_revision_decisions_and_supersession(app, client, api_token):
    listing_id = _listing_id(app, "published")
    admin = api_token(ADMIN)
    _revise(client, api_token, listing_id, "First proposal")
    _revise(client, api_token, listing_id, "Second proposal")
    assert _revisions(app, listing_id) == ["superseded", "pending"]
    approved = client.post(f"/api/v1/listings/{listing_id}/approve", json={"reason": "Fine."}, headers=admin)
    assert approved.status_code == 200
    assert approved.get_json()["title"] == "Second proposal" and approved.get_json()["pending_revision"] is None
    assert _revisions(app, listing_id) == ["superseded", "approved"]
    again = client.post(f"/api/v1/listings/{listing_id}/approve", headers=admin)
    assert again.status_code == 409
    assert _sentence("revision", "approved", ADMIN, "approved").fullmatch(_error(again))
    back = client.post(f"/api/v1/listings/{listing_id}/reject", json={"reason": "Hm."}, headers=admin)
    assert back.status_code == 409
    assert _sentence("revision", "approved", ADMIN, "sent back for changes").fullmatch(_error(back))


def test_withdrawing_supersedes_the_pending_revision(app, client, api_token, login):
    listing_id = _listing_id(app, "published")
    _revise(client, api_token, listing_id, "Proposal nobody decides")
    response = client.post(f"/api/v1/listings/{listing_id}/withdraw", json={"reason": "Product retired."},
                           headers=api_token(VENDOR))
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert _revisions(app, listing_id) == ["superseded"]
    approve = client.post(f"/api/v1/listings/{listing_id}/approve", headers=api_token(ADMIN))
    assert approve.status_code == 409
    assert _sentence("listing", "withdrawn", VENDOR, "published").fullmatch(_error(approve))
    login(VENDOR)
    history = client.get(f"/c/gpsr/listings/{listing_id}/history").get_data(as_text=True)
    for action in ("listing.revision_proposed", "listing.revision_superseded", "listing.withdrawn"):
        assert action in history
    actions = fetch(select(AuditEvent.action).where(AuditEvent.object_type == "listing_revision")
                    .order_by(AuditEvent.id.desc()).limit(1))
    assert actions == "listing.revision_superseded"


def test_the_buttons_shown_are_the_steps_allowed(app, client, login):
    draft = _listing_id(app, "draft")
    published = _listing_id(app, "published")
    submitted = _listing_id(app, "submitted")
    login(VENDOR)
    page = client.get("/c/gpsr/vendor/listings").get_data(as_text=True)
    assert f"/listings/{draft}/submit" in page and f"/listings/{draft}/withdraw" not in page
    assert f"/listings/{published}/withdraw" in page and f"/listings/{published}/submit" not in page
    assert f"/listings/{submitted}/submit" not in page and f"/listings/{submitted}/edit" not in page
    login(ADMIN)
    review = client.get(f"/c/gpsr/review/{published}").get_data(as_text=True)
    assert f"/listings/{published}/suspend" in review and f"/listings/{published}/reinstate" not in review
    assert "Suspend" not in client.get(f"/c/gpsr/review/{submitted}").get_data(as_text=True)


def test_verifying_a_verified_pilot_says_who_verified_it(app, client, api_token, login):
    pilot_id = committed(app, recorded_pilot)
    assert client.post(f"/api/v1/pilots/{pilot_id}/verify", headers=api_token(ADMIN)).status_code == 200
    again = client.post(f"/api/v1/pilots/{pilot_id}/verify", headers=api_token("approver@mesa.example"))
    assert again.status_code == 409
    assert _sentence("pilot", "verified", ADMIN, "verified").fullmatch(_error(again))
    login("approver@mesa.example")
    page = client.post(f"/c/gpsr/pilots/{pilot_id}/verify")
    assert page.status_code == 409
    assert _sentence("pilot", "verified", ADMIN, "verified").search(page.get_data(as_text=True))


def test_the_recorder_never_verifies_their_own_pilot(app, client, api_token):
    pilot_id = committed(app, lambda: recorded_pilot("approver@mesa.example"))
    response = client.post(f"/api/v1/pilots/{pilot_id}/verify", headers=api_token("approver@mesa.example"))
    assert response.status_code == 403
    assert response.get_json()["error"]["message"] == (
        "Someone other than the person who recorded a pilot must verify it.")


def test_linking_a_linked_pilot_says_to_what_and_by_whom(app, client, api_token):
    pilot_id = committed(app, recorded_pilot)
    with app.test_request_context():
        listing_id = make_listing("published", title="Curb sensors to link").id
    admin = api_token(ADMIN)
    assert client.post(f"/api/v1/pilots/{pilot_id}/link", json={"listing_id": listing_id}, headers=admin).status_code \
        == 200
    again = client.post(f"/api/v1/pilots/{pilot_id}/link", json={"listing_id": listing_id}, headers=admin)
    assert again.status_code == 409
    assert _error(again) == f"This pilot is already linked to “Curb sensors to link” by {user(ADMIN).name}."
