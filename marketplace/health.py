"""`GET /healthz`: what a load balancer asks before sending a node traffic.

Each check answers `{"status": "ok" | "warn" | "fail", ...}`. The database and the search engine are
*critical*: when either fails the answer is 503 and the top-level status `fail`, so the balancer
takes the node out. Mail and the outbox backlog are reported for the operator (a dead SMTP relay or a
stopped `notifications deliver` shows up here) but never take the node out.

The kernel checks the database, mail and the outbox itself; the factory registers the search engine's
check (`register_health_check`), because the kernel does not import the domains. The answer is
public, so failures name only the kind of error; the details go to the log. It sets no cookie, is
never rate limited and never cached.
"""

from __future__ import annotations

import logging
import smtplib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import func, select, text

from marketplace.db import utcnow
from marketplace.extensions import db, limiter
from marketplace.notifications.models import Notification

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

CHECKS = "health_checks"  # app.extensions[CHECKS]: name -> (check, critical)
SMTP_TIMEOUT = 2.0
SMTP_PROBE_EVERY = 30.0  # seconds: a balancer polling every few seconds does not hammer the relay
OUTBOX_WARN_AFTER = 15 * 60  # seconds: the deliverer runs every minute; this old means it is not running

Check = Callable[[], dict]


def register_health_check(app: Flask, name: str, check: Check, *, critical: bool) -> None:
    """Add a check to `/healthz`; a critical one that fails (or raises) makes the answer 503."""
    app.extensions.setdefault(CHECKS, {})[name] = (check, critical)


def engine_check(engine: Callable[[], object]) -> Check:
    """A check from something with a `health() -> bool` method (a search engine)."""
    return lambda: {"status": "ok" if engine().health() else "fail"}


# --- the kernel's own checks ----------------------------------------------------------------------------


def check_database() -> dict:
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}


_smtp_probes: dict[tuple, tuple[float, dict]] = {}


def _probe_smtp(host: str, port: int, use_ssl: bool) -> dict:
    """Connect and read the greeting (no login, nothing sent), at most every `SMTP_PROBE_EVERY` s."""
    key = (host, port, use_ssl)
    now = time.monotonic()
    known = _smtp_probes.get(key)
    if known is not None and now - known[0] < SMTP_PROBE_EVERY:
        return known[1]
    connect = smtplib.SMTP_SSL if use_ssl else smtplib.SMTP
    try:
        connection = connect(host, port, timeout=SMTP_TIMEOUT)
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
        result = {"status": "ok", "transport": "smtp"}
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("health: the SMTP server %s:%s does not answer: %r", host, port, exc)
        result = {"status": "fail", "transport": "smtp", "error": type(exc).__name__}
    _smtp_probes[key] = (now, result)
    return result


def check_mail() -> dict:
    """The SMTP server answers (when `MAIL_SERVER` is set), else the mail folder takes files."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return _probe_smtp(config["MAIL_SERVER"], int(config["MAIL_PORT"]), bool(config.get("MAIL_USE_SSL")))
    folder = Path(config["MAIL_FILE_DIR"])
    try:
        folder.mkdir(parents=True, exist_ok=True)  # as the file transport does before its first message
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        log.warning("health: cannot write e-mails to %s: %r", folder, exc)
        return {"status": "fail", "transport": "folder", "error": type(exc).__name__}
    return {"status": "ok", "transport": "folder"}


def check_outbox() -> dict:
    """How many notifications wait to be e-mailed, and since when: `warn` once the oldest has waited
    longer than `OUTBOX_WARN_AFTER`."""
    pending, oldest = db.session.execute(
        select(func.count(Notification.id), func.min(Notification.created_at))
        .where(Notification.email_status == "pending")
    ).one()
    age = int((utcnow() - oldest).total_seconds()) if oldest is not None else None
    status = "warn" if age is not None and age > OUTBOX_WARN_AFTER else "ok"
    return {"status": status, "pending": pending, "oldest_pending_age_seconds": age}


# --- the endpoint ------------------------------------------------------------------------------------


def _run(name: str, check: Check) -> dict:
    started = time.perf_counter()
    try:
        result = dict(check())
    except Exception as exc:  # a health check reports a failure, it does not raise it
        log.warning("health: the %s check failed: %r", name, exc)
        db.session.rollback()  # a failed query leaves the session unusable for the next check
        result = {"status": "fail", "error": type(exc).__name__}
    result["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


@bp.get("/healthz")
@limiter.exempt
def healthz():
    checks = current_app.extensions.get(CHECKS, {})
    results = {name: _run(name, check) for name, (check, _critical) in checks.items()}
    healthy = all(results[name]["status"] != "fail" for name, (_check, critical) in checks.items() if critical)
    response = jsonify({"status": "ok" if healthy else "fail", "checks": results})
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_health(app: Flask) -> None:
    register_health_check(app, "database", check_database, critical=True)
    register_health_check(app, "mail", check_mail, critical=False)
    register_health_check(app, "outbox", check_outbox, critical=False)
    app.register_blueprint(bp)

