"""Loading observations for pages and the API alike: visible only to those who may see their order."""

from __future__ import annotations

from contracts.observations.models import Observation
from contracts.orders.queries import get_order_or_404
from marketplace.tenancy import get_or_404


def get_observation_or_404(observation_id: int) -> Observation:
    """The observation, for someone who may see its order (401 for nobody signed in, 404 otherwise)."""
    observation = get_or_404(Observation, observation_id)
    get_order_or_404(observation.order_id)
    return observation
