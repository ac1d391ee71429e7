"""Every blueprint of the contracts domain, for the factory to register."""

from contracts.invoices import api as invoice_api
from contracts.invoices import views as invoice_views
from contracts.observations import api as performance_api
from contracts.observations import views as performance_views
from contracts.orders import api as order_api
from contracts.orders import views as order_views
from contracts.vehicles import models as models
from contracts.vehicles.api import api
from contracts.vehicles.views import bp as vehicles_bp

BLUEPRINTS: list = [
    vehicles_bp, api,
    order_views.bp, order_api.api,
    performance_views.bp, performance_api.api,
    invoice_views.bp, invoice_api.api,
]
