"""How the application meets the web server in front of it.

- **Proxies.** Behind nginx (or a load balancer) the client's address and scheme arrive in
  `X-Forwarded-*` headers; `PROXY_FIX` (from `PROXY_FIX_X_FOR=1` ...) says how many proxies set each
  one, and werkzeug's `ProxyFix` believes exactly that many. Without it every visitor has the proxy's
  address, and the sign-in throttle counts them all as one.
- **One log line per request** on the `marketplace.request` logger, as `key=value` pairs: a request id
  (the caller's `X-Request-ID` when it is a short plain token, else a new one; echoed in the response),
  method, path, status, duration, client address and the signed-in user. Static files log at DEBUG.
  Secrets in URLs (invitation and password-reset tokens) are never written.
- **Fingerprinted static files.** `url_for('static', filename=...)` adds `?v=<first 12 hex digits of
  the file's SHA-256>`; a response for the current fingerprint may be cached for a year (`immutable`),
  anything else for a few minutes, so a deploy never leaves a browser with an old stylesheet.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
import time
import uuid

from flask import Flask, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import safe_join

request_log = logging.getLogger("marketplace.request")

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
SECRET_URL_ARGS = ("token",)  # URL parts that are credentials: logged as "<token>"
_STARTED = "marketplace.started"  # WSGI environ key: when the request reached the app

STATIC_VERSION_ARG = "v"
STATIC_VERSION_LENGTH = 12
STATIC_LONG_MAX_AGE = 365 * 24 * 3600
STATIC_SHORT_MAX_AGE = 600
_LOGFMT_PLAIN = re.compile(r"[A-Za-z0-9._:/<>@%+-]+")


# --- proxies and timing ------------------------------------------------------------------------------


class _Stopwatch:
    """WSGI middleware: notes when the request reached the app, before any Flask hook runs."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ[_STARTED] = time.perf_counter()
        return self.wsgi_app(environ, start_response)


def wrap_wsgi(app: Flask) -> None:
    app.wsgi_app = _Stopwatch(app.wsgi_app)
    counts = app.config.get("PROXY_FIX") or {}
    if any(counts.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **counts)


# --- the request log ---------------------------------------------------------------------------------


def request_id() -> str:
    """This request's id: the caller's `X-Request-ID` when it is a sane short token, else a new one."""
    if "request_id" not in g:
        supplied = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = supplied if SANE_REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex
    return g.request_id


def logfmt(fields: dict) -> str:
    """`key=value` pairs; a value with spaces, quotes or control characters is written as a JSON string,
    so whatever a client puts in a path stays on one line and cannot fake another field."""
    parts = []
    for key, value in fields.items():
        text = "" if value is None else str(value)
        parts.append(f"{key}={text if _LOGFMT_PLAIN.fullmatch(text) else json.dumps(text)}")
    return " ".join(parts)


def _logged_path() -> str:
    path = request.path
    for name in SECRET_URL_ARGS:
        value = (request.view_args or {}).get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, f"<{name}>")
    return path


def _signed_in_user_id() -> int | None:
    """The user this request was served for, as already loaded by Flask-Login or the API token check:
    reading it here never queries the database (which may be the very thing that failed)."""
    user = g.get("_login_user")
    return user.id if user is not None and getattr(user, "is_authenticated", False) else None


def log_request(response):
    rid = request_id()
    response.headers[REQUEST_ID_HEADER] = rid
    level = logging.DEBUG if request.endpoint == "static" else logging.INFO
    if request_log.isEnabledFor(level):
        started = request.environ.get(_STARTED)
        duration = (time.perf_counter() - started) * 1000 if started is not None else None
        fields = {
            "request_id": rid,
            "method": request.method,
            "path": _logged_path(),
            "status": response.status_code,
            "duration_ms": f"{duration:.1f}" if duration is not None else None,
            "ip": request.remote_addr,
            "user_id": _signed_in_user_id(),
        }
        request_log.log(level, logfmt(fields), extra={"request": fields})
    return response


# --- fingerprinted static files -------------------------------------------------------------------------


def static_version(app: Flask, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, hashed once per process for each version of the
    file on disk (a changed file has a new size or modification time, so it is hashed again). None for
    a name that is not a file in the static folder: its link is left as it was."""
    path = safe_join(app.static_folder, filename) if app.static_folder else None
    if path is None:
        return None
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return None
        seen = (info.st_mtime_ns, info.st_size)
        cache = app.extensions.setdefault("static_versions", {})
        known = cache.get(filename)
        if known is not None and known[0] == seen:
            return known[1]
        with open(path, "rb") as file:
            digest = hashlib.file_digest(file, "sha256").hexdigest()[:STATIC_VERSION_LENGTH]
    except OSError:
        return None
    cache[filename] = (seen, digest)
    return digest


def add_static_version(endpoint: str, values: dict) -> None:
    """`url_defaults` hook: every `url_for('static', filename=...)` carries the file's fingerprint."""
    if endpoint == "static" and STATIC_VERSION_ARG not in values and values.get("filename"):
        version = static_version(current_app, values["filename"])
        if version:
            values[STATIC_VERSION_ARG] = version


def cache_static_files(response):
    """A static file asked for by its current fingerprint never changes: cache it for a year. Without
    one (or with an old one, after a deploy) the answer is cached briefly and revalidated."""
    if request.endpoint != "static" or response.status_code not in (200, 206, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    asked = request.args.get(STATIC_VERSION_ARG)
    current = asked and static_version(current_app, filename) == asked
    max_age = STATIC_LONG_MAX_AGE if current else STATIC_SHORT_MAX_AGE
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.cache_control.immutable = bool(current)
    response.expires = int(time.time() + max_age)
    return response


def init_serving(app: Flask) -> None:
    """Register before any other `after_request` hook, so the request log runs last and sees the final
    status and headers."""
    wrap_wsgi(app)
    app.after_request(log_request)
    app.after_request(cache_static_files)
    app.url_defaults(add_static_version)
