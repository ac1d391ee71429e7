"""Every blueprint of the catalog domain, for the factory to register."""

from catalog import api, views
from catalog.pilot_api import api as pilots_api
from catalog.pilot_views import bp as pilots_bp

BLUEPRINTS: list = [views.bp, api.api, pilots_bp, pilots_api]
