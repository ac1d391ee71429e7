"""Who has a dashboard: a pure predicate. What each figure sums is limited by the orders', vehicles' and sales
reports' own visibility rules (see queries.py, settlements.py and fees.py)."""

from __future__ import annotations


def can_view_dashboard(user) -> bool:
    """Every signed-in person of the consortium has a dashboard of what they may see (the view checks that the
    person belongs to the consortium)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in ("buyer", "approver", "vendor", "admin")

