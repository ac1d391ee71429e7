"""Pilots as document owners (marketplace.documents): the pilot report behind the measured results. Seen by
whoever may see the pilot; added by the host member's buyers and approvers, who record the pilot."""

from __future__ import annotations

from flask import url_for

from catalog.pilots.permissions import can_view_pilot
from catalog.pilots.queries import get_pilot_or_404
from consortium.permissions import signed_in
from marketplace.documents.registry import Owner, register


def can_add_pilot_document(user, pilot) -> bool:
    """Buyers and approvers of the host member."""
    return signed_in(user) and user.role in ("buyer", "approver") and user.organization_id == pilot.host_member_id


OWNER = register(Owner(
    key="pilots", object_type="pilot", noun="pilot",
    load=lambda pilot_id, user: get_pilot_or_404(pilot_id, user),
    can_view=can_view_pilot, can_add=can_add_pilot_document,
    page_url=lambda pilot: url_for("pilots.detail", pilot_id=pilot.id),
    name=lambda pilot: f"“{pilot.title}”"))
