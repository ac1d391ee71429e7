"""gunicorn settings for `make serve` and production: `gunicorn --config gunicorn.conf.py`.

From the environment: `WEB_CONCURRENCY` (worker processes; default 2 × cores + 1), `HOST` and `PORT`
(default 127.0.0.1:5000, like `make demo`; behind a reverse proxy keep 127.0.0.1), `GUNICORN_TIMEOUT`
(seconds a worker may spend on one request; default 60: PDFs take a moment). gunicorn's access log
stays off: the app writes one line per request itself (`marketplace.request`: request id, status,
duration), and every log line goes to stderr in one format.
"""

import os


def _whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
        raise SystemExit(f"{name} must be a whole number of at least 1, not '{raw[:20]}'.")
    return int(raw)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (containers, taskset)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


wsgi_app = "marketplace:create_app()"
workers = _whole_number("WEB_CONCURRENCY", 2 * _cores() + 1)
bind = [f"{os.environ.get('HOST') or '127.0.0.1'}:{_whole_number('PORT', 5000)}"]
timeout = _whole_number("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30  # on SIGTERM (a deploy), finish the requests in flight for up to 30 s
keepalive = 5  # seconds; the reverse proxy in front reuses connections
proc_name = "marketplace"
# gunicorn 25+ opens a control socket at one fixed path per user, which a second instance on the same machine
# (another port, the multi-node test) would fight over; reload and stop with signals instead (HUP, TERM).
control_socket_disable = True

accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "format": "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        # gunicorn's own messages (workers booting, timeouts) through the root handler, once
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        # libraries' start-up chatter (CSS parsed at import, migration plugins the web never runs)
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "alembic": {"level": "WARNING"},
    },
}
