"""Demo (and bench) helper: a participating addendum signed by the member's approver and countersigned by the
office, as people would through the pages."""

from __future__ import annotations

from consortium.models import User
from contracts.vehicles.models import Participation
from contracts.vehicles.signing import services


def execute_signed(participation: Participation, *, approver: User, admin: User,
                   authority: str = "Council resolution 2026-14, delegated authority up to $250,000") -> Participation:
    """Sign for the member (as `approver`) and countersign for the office (as `admin`): executed."""
    services.sign_participation(participation, {"title": "City Manager", "authority": authority}, actor=approver)
    return services.countersign_participation(participation, {
        "title": "Executive Director, Program Office",
        "authority": "Board delegation of 12 Jan 2026: executes participating addenda for the consortium"},
        actor=admin)
