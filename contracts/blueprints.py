"""Every blueprint of the contracts domain, for the factory to register."""

from contracts import (
    models,  # noqa: F401 - the models must be known to the metadata and migrations
    order_api,
    order_views,
    performance_api,
    performance_views,
)
from contracts.api import api
from contracts.views import bp as vehicles_bp

BLUEPRINTS: list = [
    vehicles_bp, api,
    order_views.bp, order_api.api,
    performance_views.bp, performance_api.api,
]
