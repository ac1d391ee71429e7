"""Every blueprint of the contracts domain, for the factory to register."""

from contracts.finance import api as finance_api
from contracts.finance import views as finance_views
from contracts.invoices import api as invoice_api
from contracts.invoices import notifications as invoice_notifications  # who is told what: registered on import
from contracts.invoices import views as invoice_views
from contracts.observations import api as performance_api
from contracts.observations import notifications as observation_notifications
from contracts.observations import views as performance_views
from contracts.orders import api as order_api
from contracts.orders import notifications as order_notifications
from contracts.orders import views as order_views
from contracts.sourcing import api as sourcing_api
from contracts.sourcing import notifications as sourcing_notifications
from contracts.sourcing import views as sourcing_views
from contracts.sourcing.rfqs import api as rfq_api
from contracts.sourcing.rfqs import notifications as rfq_notifications
from contracts.sourcing.rfqs import views as rfq_views
from contracts.vehicles import models as models
from contracts.vehicles import notifications as vehicle_notifications
from contracts.vehicles.api import api
from contracts.vehicles.views import bp as vehicles_bp

# The listeners and reminders of each sub-package register themselves when imported.
NOTIFICATIONS = (vehicle_notifications, order_notifications, observation_notifications, invoice_notifications,
                 sourcing_notifications, rfq_notifications)

BLUEPRINTS: list = [
    vehicles_bp, api,
    order_views.bp, order_api.api,
    performance_views.bp, performance_api.api,
    invoice_views.bp, invoice_api.api,
    sourcing_views.bp, sourcing_api.api,
    rfq_views.bp, rfq_api.api,
    finance_views.bp, finance_api.api,
]
