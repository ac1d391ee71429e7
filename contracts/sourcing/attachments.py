"""RFIs as document owners (marketplace.documents): a site plan, a data inventory, the draft MOU. Seen by
whoever may see the RFI; added by the issuer's people (the issuing member's buyers and approvers, or the
office for an office RFI)."""

from __future__ import annotations

from flask import url_for

from contracts.sourcing.permissions import can_view_rfi, is_issuer_staff
from contracts.sourcing.queries import get_rfi_or_404
from marketplace.documents.registry import Owner, register


def can_add_rfi_document(user, rfi) -> bool:
    """The issuer's people."""
    return is_issuer_staff(user, rfi)


OWNER = register(Owner(
    key="rfis", object_type="rfi", noun="RFI",
    load=lambda rfi_id, user: get_rfi_or_404(rfi_id),
    can_view=can_view_rfi, can_add=can_add_rfi_document,
    page_url=lambda rfi: url_for("sourcing.rfi", rfi_id=rfi.id),
    name=lambda rfi: f"“{rfi.title}”"))
