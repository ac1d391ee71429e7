"""Who may report, verify, dispute and correct KPI observations: one pure predicate per action.

The vendor measures and the city checks: the order's vendor reports a value while the order is active and
corrects a disputed one; the buying member's buyers and approvers verify or dispute a reported value while
the order is active or completed. The lifecycle table in `contracts.observations.services` pairs each step
with its predicate; the order page asks `OBSERVATION_LIFECYCLE.may(step, user, observation)`.
"""

from __future__ import annotations

from contracts.orders.permissions import is_member_staff_of, is_vendor_of

# The order states in which values are reported (and corrected), and in which the city decides on them. A
# terminated order's periods that had started still run to their end, so they are still measured.
REPORTING_ORDER_STATES = ("active", "terminated")
DECIDING_ORDER_STATES = ("active", "terminated", "completed")


def can_report_observation(user, order) -> bool:
    """The order's vendor, while the order is active (or terminated: its started periods still run)."""
    return is_vendor_of(user, order) and order.status in REPORTING_ORDER_STATES


def can_verify_observation(user, observation) -> bool:
    """The buying member's buyers and approvers, while the order is active, terminated or completed."""
    order = observation.order
    return is_member_staff_of(user, order) and order.status in DECIDING_ORDER_STATES


def can_dispute_observation(user, observation) -> bool:
    """Whoever may verify a value may dispute it instead."""
    return can_verify_observation(user, observation)


def can_correct_observation(user, observation) -> bool:
    """The order's vendor corrects a disputed value while the order is active."""
    return can_report_observation(user, observation.order)
