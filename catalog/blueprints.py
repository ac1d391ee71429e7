"""Every blueprint of the catalog domain, for the factory to register."""

from catalog.listings import api as api
from catalog.listings import notifications as notifications  # registers who is told what
from catalog.listings import views as views
from catalog.pilots.api import api as pilots_api
from catalog.pilots.views import bp as pilots_bp

BLUEPRINTS: list = [views.bp, api.api, pilots_bp, pilots_api]
