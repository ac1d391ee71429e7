"""Every blueprint of the contracts domain, for the factory to register."""

from contracts import auditlabels as auditlabels  # names the contracts objects in the audit log
from contracts.finance import api as finance_api
from contracts.finance import views as finance_views
from contracts.invoices import api as invoice_api
from contracts.invoices import notifications as invoice_notifications  # who is told what: registered on import
from contracts.invoices import views as invoice_views
from contracts.observations import api as performance_api
from contracts.observations import attachments as observation_attachments  # noqa: F401 - document owners
from contracts.observations import notifications as observation_notifications
from contracts.observations import views as performance_views
from contracts.orders import api as order_api
from contracts.orders import attachments as order_attachments  # noqa: F401 - document owners
from contracts.orders import notifications as order_notifications
from contracts.orders import views as order_views
from contracts.reporting import api as sales_report_api
from contracts.reporting import notifications as sales_report_notifications
from contracts.reporting import views as sales_report_views
from contracts.reporting.dashboards import api as dashboards_api
from contracts.reporting.dashboards import views as dashboards_views
from contracts.reporting.ocds import api as ocds_api
from contracts.sourcing import api as sourcing_api
from contracts.sourcing import attachments as rfi_attachments  # noqa: F401 - document owners
from contracts.sourcing import notifications as sourcing_notifications
from contracts.sourcing import views as sourcing_views
from contracts.sourcing.rfqs import api as rfq_api
from contracts.sourcing.rfqs import notifications as rfq_notifications
from contracts.sourcing.rfqs import views as rfq_views
from contracts.vehicles import attachments as vehicle_attachments  # noqa: F401 - document owners
from contracts.vehicles import exports as vehicle_exports  # noqa: F401 - its CSV routes register on the vehicles blueprint
from contracts.vehicles import models as models
from contracts.vehicles import notifications as vehicle_notifications
from contracts.vehicles.api import api
from contracts.vehicles.signing import api as signing_api
from contracts.vehicles.signing import notifications as signing_notifications
from contracts.vehicles.signing import views as signing_views
from contracts.vehicles.views import bp as vehicles_bp

# The listeners and reminders of each sub-package register themselves when imported.
NOTIFICATIONS = (vehicle_notifications, order_notifications, observation_notifications, invoice_notifications,
                 sourcing_notifications, rfq_notifications, sales_report_notifications,
                 signing_notifications)

BLUEPRINTS: list = [
    vehicles_bp, api,
    signing_views.bp, signing_api.api,
    order_views.bp, order_api.api,
    performance_views.bp, performance_api.api,
    invoice_views.bp, invoice_api.api,
    sourcing_views.bp, sourcing_api.api,
    rfq_views.bp, rfq_api.api,
    finance_views.bp, finance_api.api,
    sales_report_views.bp, sales_report_api.api,
    ocds_api.api,
    dashboards_views.bp, dashboards_api.api,
]
