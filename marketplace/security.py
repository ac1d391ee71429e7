"""Security headers and the CSRF rule: every unsafe request carries a CSRF token, except API calls
authenticated by a bearer token (no cookie, so no cross-site forgery)."""

from __future__ import annotations

from flask import Flask, current_app, g, request

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


def init_security(app: Flask) -> None:
    app.after_request(set_security_headers)
