"""Security headers, redirects that stay on the site, and the CSRF rule: every unsafe request carries a
CSRF token, except API calls authenticated by a bearer token (no cookie, so no cross-site forgery)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, g, request
from werkzeug.exceptions import SecurityError
from werkzeug.utils import redirect

from marketplace.extensions import csrf

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def check_csrf():
    if request.method not in UNSAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return None
    if request.path.startswith("/api/") and g.get("token_auth"):
        return None
    csrf.protect()
    return None


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def keep_redirects_on_site(response):
    """A redirect never repeats the Host header the client sent. The app's own redirects are relative
    already; werkzeug's slash redirects (`/c/gpsr` → `/c/gpsr/`) are built absolute from the request's
    host, which a client chooses: such a Location becomes relative. A host the configuration names
    (`SERVER_NAME`, used when it is set) is not the client's choice and stays."""
    location = response.headers.get("Location")
    if not location:
        return response
    parts = urlsplit(location)
    try:
        host = request.host.lower()
    except SecurityError:  # a host outside TRUSTED_HOSTS: the answer is a 400 anyway
        return response
    if parts.netloc and parts.netloc.lower() == host and parts.scheme in ("", request.scheme):
        relative = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
        response.headers["Location"] = relative
        if 300 <= response.status_code < 400 and response.mimetype == "text/html":
            response.set_data(redirect(relative, response.status_code).get_data())  # the body names it too
    return response


def init_security(app: Flask) -> None:
    app.after_request(set_security_headers)
    app.after_request(keep_redirects_on_site)
