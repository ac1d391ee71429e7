"""The application factory: the one place that imports every domain and wires it in."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from catalog.blueprints import BLUEPRINTS as CATALOG_BLUEPRINTS
from catalog.listings.queries import provide_contract_terms
from catalog.reviews.queries import provide_review_orders
from catalog.search import get_engine as search_engine
from catalog.search.cli import catalog_cli
from consortium import api as consortium_api
from consortium import auditlabels as consortium_audit_labels  # noqa: F401 - names its objects in the audit log
from consortium import context as tenancy_context
from consortium import views as consortium_views
from consortium.accounts import views as account_views
from consortium.audit import views as audit_views
from consortium.cli import users_cli
from consortium.planning import api as planning_api
from consortium.planning import attachments as attachments  # registers needs as document owners
from consortium.planning import views as planning_views
from contracts.blueprints import BLUEPRINTS as CONTRACT_BLUEPRINTS
from contracts.observations.queries import performance_record
from contracts.orders.queries import reviewable_orders
from contracts.reporting.cli import reports_cli
from contracts.vehicles import queries as vehicle_queries
from marketplace import api as api_kernel
from marketplace.config import IN_MEMORY_THROTTLE, load_config, production_warnings
from marketplace.db import MAX_ID
from marketplace.demo import demo_cli
from marketplace.documents import api as documents_api
from marketplace.documents import views as documents_views
from marketplace.errors import register_error_handlers
from marketplace.extensions import csrf, db, limiter, login_manager, migrate
from marketplace.formerrors import init_form_errors
from marketplace.glossary import bp as glossary_bp
from marketplace.health import engine_check, init_health, register_health_check
from marketplace.locking import serialize_writing_requests
from marketplace.notifications import api as notification_api
from marketplace.notifications import views as notification_views
from marketplace.notifications.cli import notifications_cli
from marketplace.notifications.reminders import reminders_cli
from marketplace.security import check_csrf, init_security
from marketplace.serving import init_serving
from marketplace.templating import init_templating

ROOT = Path(__file__).resolve().parent.parent


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number bigger than any id (`MAX_ID`) becomes 0, which names no row,
    so the view answers its usual 404 instead of overflowing the database's integers. (Refusing the
    match instead would make werkzeug answer 405 where another method of the same path exists.)"""

    regex = r"[0-9]+"  # ASCII digits only: werkzeug's default `\d+` also matches "１" and "٣"

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


__all__ = ["IN_MEMORY_THROTTLE", "build_app", "warn_about_single_process_settings"]


def warn_about_single_process_settings(app: Flask) -> None:
    """Production settings that work only on one server or in one process: one warning line each
    (the rules: `marketplace.config.production_warnings`)."""
    for line in production_warnings(app.config):
        app.logger.warning(line)


def build_app(config: dict | None = None) -> Flask:
    app = Flask(
        "marketplace",
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
    )
    app.config.update(load_config(app.instance_path, config))
    app.url_map.converters["int"] = IdConverter  # before any route is added
    logging.basicConfig(level=logging.INFO if app.config["ENV_NAME"] != "testing" else logging.WARNING)

    warn_about_single_process_settings(app)
    init_serving(app)  # first: its request log runs after every other hook

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    login_manager.user_loader(tenancy_context.load_session_user)  # refuses sessions ended by signing out

    # Order matters: resolve the API token and tenant before the CSRF check needs to know about them.
    app.url_value_preprocessor(tenancy_context.pull_consortium_slug)
    app.url_defaults(tenancy_context.add_consortium_slug)
    app.before_request(serialize_writing_requests)
    app.before_request(tenancy_context.authenticate_api_request)
    app.before_request(check_csrf)

    for blueprint in (api_kernel.kernel_api, notification_views.inbox, notification_api.inbox_api,
                      consortium_views.auth, glossary_bp, consortium_views.home, consortium_api.api, audit_views.bp,
                      account_views.accounts, account_views.people_bp, planning_views.bp, planning_api.api,
                      *CATALOG_BLUEPRINTS, *CONTRACT_BLUEPRINTS, documents_views.bp, documents_api.api):
        app.register_blueprint(blueprint)

    # The catalog asks about contract vehicles through its port; the contracts domain answers.
    provide_contract_terms(active_contract_prices=vehicle_queries.active_contract_prices,
                           covering_vehicles=vehicle_queries.covering_vehicles,
                           vehicles_to_order_under=vehicle_queries.vehicles_to_order_under)
    # Reviews ask which orders entitle a city to review a listing, and for a vendor's performance record.
    provide_review_orders(eligible_orders=reviewable_orders, performance_record=performance_record)

    app.cli.add_command(users_cli)
    app.cli.add_command(catalog_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(reports_cli)
    app.context_processor(notification_views.unread_in_header)

    documents_views.init_documents(app, api_endpoints=documents_api.UPLOAD_ENDPOINTS)
    init_health(app)
    register_health_check(app, "search", engine_check(search_engine), critical=True)

    register_error_handlers(app)
    init_security(app)
    init_templating(app)
    init_form_errors(app)
    app.context_processor(tenancy_context.template_context)

    @app.teardown_request
    def _forget_request_state(exc):
        g.pop("consortium", None)

    @app.after_request
    def _no_cache_for_people(response):
        if current_user.is_authenticated and request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response

    return app
