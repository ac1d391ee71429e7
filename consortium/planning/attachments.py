"""Needs as document owners (marketplace.documents): an assessment, a quote, a council memo. Seen by whoever
may see the need; added by the need's member (its buyers and approvers)."""

from __future__ import annotations

from flask import url_for

from consortium.planning.permissions import can_view_need, is_member_staff
from consortium.planning.queries import get_need_or_404
from marketplace.documents.registry import Owner, register


def can_add_need_document(user, need) -> bool:
    """The need's member city's buyers and approvers."""
    return is_member_staff(user, need.member_id)


OWNER = register(Owner(
    key="needs", object_type="need", noun="need",
    load=lambda need_id, user: get_need_or_404(need_id),
    can_view=can_view_need, can_add=can_add_need_document,
    page_url=lambda need: url_for("planning.need", need_id=need.id),
    name=lambda need: f"“{need.title}”"))
