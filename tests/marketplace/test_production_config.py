"""Production start-up checks, proxy headers and the gunicorn settings of `make serve`."""

from __future__ import annotations

import logging
import runpy
from pathlib import Path

import pytest
from flask import Flask, request

from marketplace import create_app
from marketplace.config import (
    IN_MEMORY_THROTTLE,
    SQLITE_IN_PRODUCTION,
    ConfigError,
    load_config,
    production_warnings,
)
from marketplace.serving import wrap_wsgi

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgresql+psycopg://app@db.internal:5432/marketplace"
REDIS = "redis://cache.internal:6379/0"


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    for name in ("DATABASE_URL", "RATELIMIT_STORAGE_URI", "PROXY_FIX_X_FOR", "PROXY_FIX_X_PROTO"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(production, tmp_path):
    production.delenv("SECRET_KEY")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(str(tmp_path))


@pytest.mark.parametrize(("env", "database", "storage", "expected"), [
    ("production", "sqlite:////srv/marketplace.db", "memory://", [SQLITE_IN_PRODUCTION, IN_MEMORY_THROTTLE]),
    ("production", "sqlite:////srv/marketplace.db", REDIS, [SQLITE_IN_PRODUCTION]),
    ("production", POSTGRES, "memory://", [IN_MEMORY_THROTTLE]),
    ("production", POSTGRES, None, [IN_MEMORY_THROTTLE]),
    ("production", POSTGRES, REDIS, []),
    ("development", "sqlite:////srv/marketplace.db", "memory://", []),
    ("testing", "sqlite://", "memory://", []),
])
def test_which_settings_are_warned_about(env, database, storage, expected):
    config = {"ENV_NAME": env, "SQLALCHEMY_DATABASE_URI": database, "RATELIMIT_STORAGE_URI": storage}
    assert production_warnings(config) == expected


def test_each_warning_is_one_line_that_says_what_to_set():
    for line in (SQLITE_IN_PRODUCTION, IN_MEMORY_THROTTLE):
        assert "\n" not in line
    assert "DATABASE_URL=postgresql" in SQLITE_IN_PRODUCTION
    assert "RATELIMIT_STORAGE_URI=redis://" in IN_MEMORY_THROTTLE


def test_a_production_start_on_sqlite_logs_one_line_each(app, production, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
                    "SEARCH_INDEX_DIR": str(tmp_path / "index")})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings.count(SQLITE_IN_PRODUCTION) == 1
    assert warnings.count(IN_MEMORY_THROTTLE) == 1


def test_proxy_fix_settings_come_from_the_environment(production, tmp_path):
    assert set(load_config(str(tmp_path))["PROXY_FIX"].values()) == {0}
    production.setenv("PROXY_FIX_X_FOR", "1")
    production.setenv("PROXY_FIX_X_PROTO", "1")
    counts = load_config(str(tmp_path))["PROXY_FIX"]
    assert counts == {"x_for": 1, "x_proto": 1, "x_host": 0, "x_port": 0, "x_prefix": 0}


@pytest.mark.parametrize("value", ["yes", "-1", "6", "١"])
def test_a_wrong_proxy_count_is_refused_with_a_clear_message(production, tmp_path, value):
    production.setenv("PROXY_FIX_X_FOR", value)
    with pytest.raises(ConfigError, match="PROXY_FIX_X_FOR must be how many proxies"):
        load_config(str(tmp_path))


def _echo_app(counts: dict) -> Flask:
    app = Flask("proxy-test")
    app.config["PROXY_FIX"] = counts

    @app.get("/")
    def where():
        return f"{request.remote_addr} {request.scheme}"

    wrap_wsgi(app)
    return app


def test_behind_a_trusted_proxy_the_client_address_and_scheme_are_believed():
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    trusting = _echo_app({"x_for": 1, "x_proto": 1, "x_host": 0, "x_port": 0, "x_prefix": 0}).test_client()
    assert trusting.get("/", headers=headers).text == "203.0.113.9 https"
    plain = _echo_app({"x_for": 0, "x_proto": 0, "x_host": 0, "x_port": 0, "x_prefix": 0}).test_client()
    assert plain.get("/", headers=headers).text == "127.0.0.1 http"


# --- gunicorn.conf.py ---------------------------------------------------------------------------------


def _gunicorn_settings(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "HOST", "PORT", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_defaults_to_two_workers_per_core_plus_one(monkeypatch):
    settings = _gunicorn_settings(monkeypatch)
    assert settings["workers"] == 2 * settings["_cores"]() + 1
    assert settings["bind"] == ["127.0.0.1:5000"]
    assert settings["wsgi_app"] == "marketplace:create_app()"
    assert settings["accesslog"] is None  # the app's own request log instead
    assert settings["graceful_timeout"] > 0


def test_gunicorn_takes_workers_and_address_from_the_environment(monkeypatch):
    settings = _gunicorn_settings(monkeypatch, WEB_CONCURRENCY="3", HOST="0.0.0.0", PORT="8765")
    assert settings["workers"] == 3
    assert settings["bind"] == ["0.0.0.0:8765"]


def test_gunicorn_refuses_a_wrong_worker_count(monkeypatch):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a whole number of at least 1, not 'four'"):
        _gunicorn_settings(monkeypatch, WEB_CONCURRENCY="four")


def test_gunicorn_logs_go_to_stderr_through_the_root_logger(monkeypatch):
    logging_config = _gunicorn_settings(monkeypatch)["logconfig_dict"]
    assert logging_config["root"]["handlers"] == ["stderr"]
    assert logging_config["handlers"]["stderr"]["stream"] == "ext://sys.stderr"
    assert logging_config["loggers"]["gunicorn.error"]["propagate"] is True
