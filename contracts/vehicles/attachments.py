"""Vehicles and participations as document owners (marketplace.documents).

- A vehicle (the master agreement itself, its amendments): seen by whoever may see the vehicle (an active one
  is public); added by the consortium office, which creates and runs vehicles.
- A participation (the signed addendum, the council resolution behind the member's authority): seen by the
  member concerned and the office; added by the member's approver (who requests and signs it) and the office
  (which countersigns).
"""

from __future__ import annotations

from flask import url_for

from consortium.permissions import is_office_of, signed_in
from contracts.vehicles.permissions import can_view_participation, can_view_vehicle
from contracts.vehicles.queries import visible_participation_or_404, visible_vehicle_or_404
from marketplace.documents.registry import Owner, register


def can_add_vehicle_document(user, vehicle) -> bool:
    """The consortium office."""
    return is_office_of(user, vehicle.consortium_id)


def can_add_participation_document(user, participation) -> bool:
    """The member's approver, or the consortium office."""
    member_approver = signed_in(user) and user.role == "approver" and user.organization_id == participation.member_id
    return member_approver or is_office_of(user, participation.consortium_id)


VEHICLE = register(Owner(
    key="vehicles", object_type="vehicle", noun="vehicle",
    load=lambda vehicle_id, user: visible_vehicle_or_404(vehicle_id, user),
    can_view=can_view_vehicle, can_add=can_add_vehicle_document,
    page_url=lambda vehicle: url_for("vehicles.detail", vehicle_id=vehicle.id),
    name=lambda vehicle: vehicle.number))

PARTICIPATION = register(Owner(
    key="participations", object_type="participation", noun="participation",
    load=lambda participation_id, user: visible_participation_or_404(participation_id, user),
    can_view=can_view_participation, can_add=can_add_participation_document,
    page_url=lambda participation: url_for("vehicles.participation", participation_id=participation.id),
    name=lambda participation: f"of {participation.member.name} in {participation.vehicle.number}"))
