"""Configuration from the environment, with development defaults in the instance folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENVIRONMENTS = ("development", "testing", "production")


class ConfigError(RuntimeError):
    """The application cannot start with this configuration."""


def _dev_secret(instance_path: Path) -> str:
    """A random key kept in the instance folder, so development sessions survive restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    overrides = dict(overrides or {})
    env = overrides.get("ENV_NAME") or os.environ.get("MARKETPLACE_ENV", "development")
    if overrides.get("TESTING"):
        env = "testing"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"MARKETPLACE_ENV must be one of {', '.join(ENVIRONMENTS)}, not '{env}'.")
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Set it to a long random value (for example the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`) before starting in production."
            )
        secret = "testing-secret-key" if env == "testing" else _dev_secret(instance)

    config = {
        "ENV_NAME": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'marketplace.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR") or str(instance / "search-index"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "PERMANENT_SESSION_LIFETIME": 8 * 3600,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked in one before_request, which knows about API tokens
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "TESTING": env == "testing",
        # scrypt in real use; a cheap hash only for the test suite, which creates many accounts.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000" if env == "testing" else "scrypt",
    }
    config.update(overrides)
    return config
