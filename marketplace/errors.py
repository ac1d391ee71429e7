"""Domain errors raised by services, and the error pages/JSON that answer them.

Services raise these; HTML views turn `ValidationFailed` into form errors, the API turns every one
into `{"error": {"code", "message", "fields"?}}` with the status below.
"""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

from marketplace.extensions import db


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    @property
    def in_full(self) -> str:
        """The message followed by every field's message: what a page flashes when it cannot show the
        messages next to the fields."""
        return " ".join([self.message, *self.fields.values()])


class ValidationFailed(DomainError):
    """Input that breaks a rule; `fields` maps a field name to its message."""

    status = 400
    code = "invalid"


class PermissionDenied(DomainError):
    """The user can see the object but may not do this to it."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request conflicts with the object's current state (wrong lifecycle step, ceiling overrun)."""

    status = 409
    code = "conflict"


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, fields: dict | None = None):
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "server_error",
}

_MESSAGES = {
    400: "The request could not be understood.",
    401: "Authentication is required.",
    403: "You do not have permission to do that.",
    404: "Not found.",
    405: "That method is not allowed here.",
    413: "The upload is too large.",
    429: "Too many attempts. Please wait a minute and try again.",
    500: "Something went wrong on our side. The change was not saved.",
}


def _too_many(limit: str | None) -> str:
    """The 429 sentence: Flask-Limiter describes the limit as "5 per 15 minute"; say it as people would."""
    match = re.fullmatch(r"(\d+) per (\d+ )?(second|minute|hour|day)s?", (limit or "").strip())
    if not match:
        return _MESSAGES[429]
    count, amount, unit = match.group(1), (match.group(2) or "1 ").strip(), match.group(3)
    span = f"{unit}" if amount == "1" else f"{amount} {unit}s"
    return f"Too many attempts: at most {count} per {span}. Please wait a while and try again."


def _render(status: int, message: str | None = None):
    db.session.rollback()
    message = message or _MESSAGES.get(status, "Error")
    if wants_json():
        return json_error(status, _HTTP_CODES.get(status, "error"), message)
    if request_ctx.url_adapter is None:
        # No URL can be built (a Host header outside TRUSTED_HOSTS): a page with links would fail.
        return Response(f"{status} {message}\n", status, mimetype="text/plain")
    return render_template("errors/error.html", status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(err: DomainError):
        db.session.rollback()
        if wants_json():
            return json_error(err.status, err.code, err.message, err.fields)
        return render_template("errors/error.html", status=err.status, message=err.message), err.status

    @app.errorhandler(HTTPException)
    def handle_http(err: HTTPException):
        if err.code == 401 and not wants_json():
            db.session.rollback()
            return current_app.login_manager.unauthorized()
        description = err.description if err.code in (400, 409, 413) and err.description else None
        if err.code == 429:
            description = _too_many(err.description)
        if err.code == 400 and getattr(err, "description", "").startswith("The CSRF"):
            description = "Your form expired or was sent from another site. Please try again."
        return _render(err.code or 500, description)

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500)
