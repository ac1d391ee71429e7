"""Sign-in throttling across processes: two app processes that share `RATELIMIT_STORAGE_URI` (Redis)
count failed sign-ins together, so a second worker gives an attacker no fresh allowance. And production
says at start-up when the throttle counts per process (the in-memory default).

Each app runs in its own Python process (`create_app` in a subprocess): the limiter is a module-level
object, so two apps in this one process would share its storage whatever the configuration, and the
test would prove nothing."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from flask import Flask

from marketplace import create_app
from marketplace.app import IN_MEMORY_THROTTLE, warn_about_single_process_settings

REDIS_URI = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]

# One app instance in a fresh process: for each [email, attempts], that many failed sign-ins; prints
# the statuses.
ONE_PROCESS = """
import json, sys
from marketplace import create_app

config, plan = json.loads(sys.argv[1]), json.loads(sys.argv[2])
client = create_app(config).test_client()
codes = [client.post("/login", data={"email": email, "password": "not-the-password"}).status_code
         for email, attempts in plan for _ in range(attempts)]
print(json.dumps(codes))
"""


@pytest.fixture
def redis_prefix():
    """A key prefix of this test run in Redis database 15, removed afterwards; skips without Redis."""
    redis = pytest.importorskip("redis", reason="the redis client library is not installed")
    connection = redis.Redis.from_url(REDIS_URI, socket_connect_timeout=1, socket_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URI} ({exc}): cannot show cross-process throttling")
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    for key in connection.scan_iter(match=f"*{prefix}*"):
        connection.delete(key)
    connection.close()


def _start(database_url: str, tmp_path: Path, plan: list, storage: str, prefix: str = "") -> subprocess.Popen:
    config = {
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": "localhost",
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": prefix, "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "MAIL_FILE_DIR": str(tmp_path / "mail"),
    }
    env = {**os.environ, "MARKETPLACE_ALLOW_TESTING": "1", "MARKETPLACE_ENV": "testing"}
    return subprocess.Popen([sys.executable, "-c", ONE_PROCESS, json.dumps(config), json.dumps(plan)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _codes(process: subprocess.Popen) -> list[int]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def _failed_sign_ins(database_url: str, tmp_path: Path, plan: list, storage: str, prefix: str = "") -> list[int]:
    return _codes(_start(database_url, tmp_path, plan, storage, prefix))


def test_failed_sign_ins_in_one_process_count_in_another(app, database_url, tmp_path, redis_prefix):
    email = f"{redis_prefix}@nowhere.example"
    first = _failed_sign_ins(database_url, tmp_path, [[email, 5]], REDIS_URI, redis_prefix)
    assert first == [200] * 5  # five failures: the per-account allowance is used up
    second = _failed_sign_ins(database_url, tmp_path, [[email.upper(), 1], [f"other-{email}", 1]], REDIS_URI,
                              redis_prefix)
    # Another process, the same count: that account is paused; another account is not (the per-address
    # allowance is 10).
    assert second == [429, 200]


def test_without_shared_storage_each_process_counts_alone(app, database_url, tmp_path):
    """The control: with the in-memory default a second process starts afresh (why production warns)."""
    email = f"{uuid.uuid4().hex}@nowhere.example"
    # Independent by construction, so both run at once.
    both = [_start(database_url, tmp_path, [[email, 5]], "memory://"),
            _start(database_url, tmp_path, [[email, 6]], "memory://")]
    assert [_codes(p) for p in both] == [[200] * 5, [200] * 5 + [429]]


def test_production_warns_at_start_up_when_the_throttle_is_in_memory(app, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("MARKETPLACE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    with caplog.at_level(logging.WARNING):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SEARCH_INDEX_DIR": str(tmp_path / "index")})
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "RATELIMIT_STORAGE_URI" in r.message]
    assert len(warnings) == 1 and "redis://" in warnings[0].message


@pytest.mark.parametrize(("env", "storage", "warned"), [
    ("production", "memory://", True),
    ("production", REDIS_URI, False),
    ("development", "memory://", False),
    ("testing", "memory://", False),
])
def test_only_production_with_in_memory_storage_warns(caplog, env, storage, warned):
    """The rule itself, on a bare Flask app (a second full app with Redis would re-point the shared
    limiter of this test process)."""
    bare = Flask("marketplace")
    bare.config.update(ENV_NAME=env, RATELIMIT_STORAGE_URI=storage)
    with caplog.at_level(logging.WARNING):
        warn_about_single_process_settings(bare)
    assert (IN_MEMORY_THROTTLE in caplog.text) is warned
