"""Two app nodes on one PostgreSQL and one Redis behave as one site (DESIGN section 9, issue 18): what one
node approves the other finds in search at once; an order submitted on one is seen on the other; failed
sign-ins count across both; and two `notifications deliver` processes never send a message twice.

The nodes are started by the `cluster` fixture (tests/scaleout/conftest.py); the test talks to them over
plain HTTP only, with API tokens from `flask users token` or a browser's cookies and CSRF token.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller

from tests.scaleout import nodes
from tests.scaleout.nodes import Browser, GatedMailbox

pytestmark = pytest.mark.postgres_only

ADMIN, BUYER, APPROVER = "admin@gpsr.example", "buyer@mesa.example", "approver@mesa.example"
SUBMITTED_LISTING = "Smart waste bin fill sensors"  # the demo's listing waiting for the office's review
VEHICLE = "GPSR-2026-001"  # Mesa's active street-lighting vehicle
ITEM = "LED luminaire with node"
THROTTLED = "<h1>Too many attempts</h1>"  # the heading of the 429 page
WRONG_PASSWORD = "That e-mail address and password do not match an active account."


def _ok(response, status: int = 200):
    assert response.status == status, f"HTTP {response.status}: {response.text[:500]}"
    return response.json()


def _search_ids(node, token: str, q: str) -> list[int]:
    return [hit["id"] for hit in _ok(node.api("GET", f"/api/v1/listings?q={q}", token))["results"]]


def test_a_listing_approved_on_one_node_is_found_by_search_on_the_other(cluster):
    admin, buyer = cluster.tokens[ADMIN], cluster.tokens[BUYER]
    queue = _ok(cluster.a.api("GET", "/api/v1/queue", admin))["items"]
    listing_id = next(item["object_id"] for item in queue
                      if item["kind"] == "review_listing" and item["title"].startswith(SUBMITTED_LISTING))
    # Both nodes have searched (and built whatever they keep) before the approval.
    for node in cluster.nodes:
        assert listing_id not in _search_ids(node, buyer, "waste"), f"node {node.name} finds an unpublished listing"

    approved = _ok(cluster.a.api("POST", f"/api/v1/listings/{listing_id}/approve", admin))
    assert approved["status"] == "published"

    # At once on node B: no reindex, no wait. Four searches, so that both of B's workers answer in all
    # likelihood; every one must find it.
    for attempt in range(4):
        found = _search_ids(cluster.b, buyer, "waste")
        assert listing_id in found, (f"search {attempt + 1} on node B for 'waste' gives {found}, not listing "
                                     f"{listing_id} approved on node A")
    assert _ok(cluster.b.api("GET", f"/api/v1/listings/{listing_id}", buyer))["status"] == "published"


def _vehicle_and_item(node, token: str) -> tuple[dict, dict]:
    vehicles = _ok(node.api("GET", "/api/v1/vehicles", token))["results"]
    vehicle = next(v for v in vehicles if v["number"] == VEHICLE)
    item = next(p for p in vehicle["price_schedule"] if p["name"] == ITEM)
    return vehicle, item


def test_an_order_submitted_on_one_node_is_seen_on_the_other(cluster):
    buyer, approver = cluster.tokens[BUYER], cluster.tokens[APPROVER]
    vehicle, item = _vehicle_and_item(cluster.a, buyer)
    limit = Decimal(_ok(cluster.a.api("GET", "/api/v1/me", buyer))["organization"]["approval_limit"])
    quantity = int(limit / Decimal(item["contract_price"])) + 1  # just over Mesa's limit: it needs an approver
    draft = _ok(cluster.a.api("POST", "/api/v1/orders", buyer, {
        "vehicle_id": vehicle["id"], "po_number": "NODES-1",
        "lines": [{"price_item_id": item["price_item_id"], "quantity": str(quantity)}]}), 201)
    value = Decimal(draft["value"])
    assert value > limit

    submitted = _ok(cluster.a.api("POST", f"/api/v1/orders/{draft['id']}/submit", buyer, {}))
    assert submitted["status"] == "pending_approval"
    seen = _ok(cluster.b.api("GET", f"/api/v1/orders/{draft['id']}", approver))
    assert (seen["status"], Decimal(seen["committed"])) == ("pending_approval", value)
    remaining = Decimal(_ok(cluster.b.api("GET", f"/api/v1/vehicles/{vehicle['id']}", buyer))["remaining"])
    assert remaining == Decimal(vehicle["remaining"]) - value

    # And back: Mesa's approver approves it on node B, and node A shows it approved.
    _ok(cluster.b.api("POST", f"/api/v1/orders/{draft['id']}/approve", approver, {}))
    assert _ok(cluster.a.api("GET", f"/api/v1/orders/{draft['id']}", buyer))["status"] == "approved"


def test_failed_sign_ins_split_across_the_nodes_trip_the_throttle(cluster):
    email = "approver@chandler.example"
    browser = Browser()
    for attempt, node in enumerate((cluster.a, cluster.b, cluster.a, cluster.b, cluster.a), start=1):
        response = browser.sign_in(node, email, "not-the-password")
        assert response.status == 200 and WRONG_PASSWORD in response.text, (
            f"failed sign-in {attempt} on node {node.name}: HTTP {response.status}")

    # The sixth attempt, on either node, is refused even with the right password.
    for node in (cluster.b, cluster.a):
        response = browser.sign_in(node, email, "demo-password")
        assert response.status == 429, f"node {node.name} let a sixth attempt through: HTTP {response.status}"
        assert THROTTLED in response.text

    # The pause is for that account: another person signs in on either node.
    for node in cluster.nodes:
        other = Browser()
        assert other.sign_in(node, "buyer@chandler.example", "demo-password").status == 302


def _pending_notifications(cluster) -> set[int]:
    return {row.id for row in cluster.sql("SELECT id FROM notification WHERE email_status = 'pending'")}


def _sent_count(output: str) -> int:
    """`flask notifications deliver` prints `N sent, N skipped, N to retry, N failed for good`."""
    line = next(line for line in output.splitlines() if " sent, " in line)
    return int(line.split(" sent, ")[0])


def test_two_deliverers_never_send_a_message_twice(cluster):
    """Submitting orders writes notifications (the vendor's users are told each one is approved); two
    deliverers started together then e-mail every pending one exactly once between them."""
    buyer = cluster.tokens[BUYER]
    vehicle, item = _vehicle_and_item(cluster.a, buyer)
    for number in range(12):
        node = cluster.nodes[number % 2]
        draft = _ok(node.api("POST", "/api/v1/orders", buyer, {
            "vehicle_id": vehicle["id"], "po_number": f"NODES-MAIL-{number}",
            "lines": [{"price_item_id": item["price_item_id"], "quantity": "2"}]}), 201)
        _ok(node.api("POST", f"/api/v1/orders/{draft['id']}/submit", buyer, {}))
    pending = _pending_notifications(cluster)
    assert len(pending) >= 12, f"expected the submissions to leave notifications pending, found {sorted(pending)}"

    mailbox = GatedMailbox(connections=2)
    controller = Controller(mailbox, hostname="127.0.0.1", port=nodes.free_port())
    controller.start()
    try:
        env = {**cluster.env, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(controller.port)}
        log = cluster.folder / "deliverers.log"
        deliverers = [nodes.flask_command(env, "notifications", "deliver", log_path=log) for _ in range(2)]
        outputs = [nodes.finish(process, timeout=120) for process in deliverers]
    finally:
        controller.stop()

    sent = Counter(int(message["X-Notification-Id"]) for message in mailbox.messages)
    twice = sorted(note for note, times in sent.items() if times > 1)
    assert not twice, f"e-mailed more than once: {twice}"
    assert set(sent) == pending, f"missing {sorted(pending - set(sent))}, unexpected {sorted(set(sent) - pending)}"
    counts = [_sent_count(output) for output in outputs]
    assert sum(counts) == len(pending)
    assert all(counts), f"one deliverer sent nothing ({counts}): the two did not run together"
    assert not _pending_notifications(cluster) & pending
    statuses = cluster.sql("SELECT email_status, count(*) AS n FROM notification WHERE id = ANY(:ids) "
                           "GROUP BY email_status", ids=sorted(pending))
    assert {row.email_status: row.n for row in statuses} == {"sent": len(pending)}
