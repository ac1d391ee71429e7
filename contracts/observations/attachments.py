"""Observations as document owners (marketplace.documents): the meter export behind a measured value. Seen by
whoever may see the observation's order; added by the order's vendor, who reports the measurement. An
observation has no page of its own: its documents page is the one the order page's measurements link to."""

from __future__ import annotations

from flask import url_for

from contracts.observations.queries import get_observation_or_404
from contracts.orders.permissions import can_view_order, is_vendor_of
from marketplace.documents.registry import Owner, register


def can_view_observation_documents(user, observation) -> bool:
    return can_view_order(user, observation.order)


def can_add_observation_document(user, observation) -> bool:
    """The order's vendor."""
    return can_view_order(user, observation.order) and is_vendor_of(user, observation.order)


OWNER = register(Owner(
    key="observations", object_type="observation", noun="measurement",
    load=lambda observation_id, user: get_observation_or_404(observation_id),
    can_view=can_view_observation_documents, can_add=can_add_observation_document,
    page_url=lambda observation: url_for("documents.upload", owner_key="observations", owner_id=observation.id),
    name=lambda observation: f"{observation.kpi} for period {observation.period} of {observation.order.reference}"))
