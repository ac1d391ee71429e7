"""Every blueprint of the catalog domain, for the factory to register."""

from catalog import auditlabels as auditlabels  # names listings, revisions and pilots in the audit log
from catalog.listings import api as api
from catalog.listings import attachments as listing_attachments  # noqa: F401 - document owners
from catalog.listings import notifications as notifications  # registers who is told what
from catalog.listings import views as views
from catalog.pilots import attachments as pilot_attachments  # noqa: F401 - document owners
from catalog.pilots.api import api as pilots_api
from catalog.pilots.views import bp as pilots_bp
from catalog.reviews import notifications as review_notifications  # noqa: F401 - registers who is told
from catalog.reviews.api import api as reviews_api
from catalog.reviews.views import bp as reviews_bp

BLUEPRINTS: list = [views.bp, api.api, pilots_bp, pilots_api, reviews_bp, reviews_api]
