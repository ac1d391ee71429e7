"""Configuration from the environment, with development defaults in the instance folder.

The `testing` environment (cheap password hashes, a fixed well-known `SECRET_KEY`) exists only for the
test suite. The rule: it is accepted only while pytest is loaded in the process, or when
`MARKETPLACE_ALLOW_TESTING=1` says so explicitly (a test tool that runs the app outside pytest); and the
testing key is refused in every other environment, so a copied test setting can never sign real
sessions.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

ENVIRONMENTS = ("development", "testing", "production")
TESTING_SECRET_KEY = "testing-secret-key"
ALLOW_TESTING_FLAG = "MARKETPLACE_ALLOW_TESTING"


class ConfigError(RuntimeError):
    """The application cannot start with this configuration."""


# Production settings that work, but only on one server or in one process: a start-up warning each.
IN_MEMORY_THROTTLE = (
    "RATELIMIT_STORAGE_URI is the in-memory default: each process counts failed sign-ins and password "
    "reset requests on its own, so with several processes (gunicorn workers, servers) an attacker gets "
    "that many more attempts. Set RATELIMIT_STORAGE_URI=redis://host:6379/0 to share the counts."
)
SQLITE_IN_PRODUCTION = (
    "DATABASE_URL is a SQLite database: every write waits for the one before it and a second server "
    "cannot share it. Set DATABASE_URL=postgresql+psycopg://user@host:5432/marketplace for production."
)
PROXY_FIX_HEADERS = ("for", "proto", "host", "port", "prefix")  # PROXY_FIX_X_FOR=1 ... (werkzeug's ProxyFix)


def production_warnings(config) -> list[str]:
    """One line for each setting that is fine in development but not for a production site."""
    if config.get("ENV_NAME") != "production":
        return []
    warnings = []
    if str(config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("sqlite"):
        warnings.append(SQLITE_IN_PRODUCTION)
    if str(config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory://"):
        warnings.append(IN_MEMORY_THROTTLE)
    return warnings


def _dev_secret(instance_path: Path) -> str:
    """A random key kept in the instance folder, so development sessions survive restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _testing_allowed() -> bool:
    """Under pytest, or when the operator says explicitly that this process is a test run."""
    return "pytest" in sys.modules or os.environ.get(ALLOW_TESTING_FLAG) == "1"


def _trusted_hosts() -> list[str] | None:
    """`TRUSTED_HOSTS=market.example,www.market.example`: any other Host header is answered 400."""
    hosts = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    return hosts or None


def _proxy_fix() -> dict[str, int]:
    """How many proxies in front of the app set each `X-Forwarded-*` header (0: the header is ignored)."""
    counts = {}
    for header in PROXY_FIX_HEADERS:
        name = f"PROXY_FIX_X_{header.upper()}"
        raw = os.environ.get(name, "").strip() or "0"
        if not (raw.isascii() and raw.isdigit() and int(raw) <= 5):
            raise ConfigError(f"{name} must be how many proxies in front of the app set it (0 to 5), "
                              f"not '{raw[:20]}'.")
        counts[f"x_{header}"] = int(raw)
    return counts


SEARCH_ENGINES = ("whoosh", "postgres")  # catalog.search.services.ENGINES


def _search_engine(name: str, database_uri: str) -> str:
    """`SEARCH_ENGINE`: `postgres` by default on PostgreSQL, `whoosh` otherwise; `postgres` needs PostgreSQL."""
    on_postgres = database_uri.startswith("postgresql")
    name = (name or "").strip().lower() or ("postgres" if on_postgres else "whoosh")
    if name not in SEARCH_ENGINES:
        raise ConfigError(f"SEARCH_ENGINE must be one of {', '.join(SEARCH_ENGINES)}, not '{name[:20]}'.")
    if name == "postgres" and not on_postgres:
        raise ConfigError("SEARCH_ENGINE=postgres searches the PostgreSQL database, but DATABASE_URL is not "
                          "PostgreSQL. Set DATABASE_URL=postgresql+psycopg://... or SEARCH_ENGINE=whoosh.")
    return name


# OCDS: an ocid is this prefix + "-" + a stable id. Register a prefix (ocds-xxxxxx) with the Open Contracting
# Partnership before publishing; "{consortium}" is replaced by the consortium's slug.
OCID_PREFIX_DEFAULT = "ocds-xxxxxx-{consortium}"
_OCID_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*(\{consortium\}[A-Za-z0-9-]*)?")


def _ocid_prefix() -> str:
    """`OCDS_OCID_PREFIX`: letters, digits and hyphens, optionally with one `{consortium}`."""
    value = os.environ.get("OCDS_OCID_PREFIX", "").strip() or OCID_PREFIX_DEFAULT
    if len(value) > 60 or not _OCID_PREFIX.fullmatch(value):
        raise ConfigError(f"OCDS_OCID_PREFIX must be letters, digits and hyphens, optionally with "
                          f"{{consortium}} (such as {OCID_PREFIX_DEFAULT}), not '{value[:20]}'.")
    return value


def _document_max_bytes() -> int:
    """`DOCUMENT_MAX_BYTES`: the largest upload in bytes (default 10 MB)."""
    raw = os.environ.get("DOCUMENT_MAX_BYTES", "").strip() or str(10 * 1024 * 1024)
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) <= 1024**3):
        raise ConfigError(f"DOCUMENT_MAX_BYTES must be a number of bytes from 1 to 1073741824, not '{raw[:20]}'.")
    return int(raw)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _mail_config(instance: Path) -> dict:
    """E-mail: a real SMTP server when `MAIL_SERVER` names one, else `.eml` files in `MAIL_FILE_DIR`."""
    use_ssl = _flag("MAIL_USE_SSL")
    return {
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or (465 if use_ssl else 25)),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": use_ssl,
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER")
        or "Alliance Marketplace <no-reply@alliance-marketplace.example>",
        "MAIL_FILE_DIR": os.environ.get("MAIL_FILE_DIR") or str(instance / "mail"),
        "MAIL_TIMEOUT": 30,
        # Absolute links in e-mails (the site's address as people reach it).
        "BASE_URL": (os.environ.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
    }


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    overrides = dict(overrides or {})
    env = overrides.get("ENV_NAME") or os.environ.get("MARKETPLACE_ENV", "development")
    if overrides.get("TESTING"):
        env = "testing"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"MARKETPLACE_ENV must be one of {', '.join(ENVIRONMENTS)}, not '{env}'.")
    if env == "testing" and not _testing_allowed():
        raise ConfigError(
            "The testing environment (fixed secret key, cheap password hashes) runs only under pytest. "
            f"Use MARKETPLACE_ENV=development or production, or set {ALLOW_TESTING_FLAG}=1 for a test run."
        )
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. Set it to a long random value (for example the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`) before starting in production."
            )
        secret = TESTING_SECRET_KEY if env == "testing" else _dev_secret(instance)
    if secret == TESTING_SECRET_KEY and env != "testing":
        raise ConfigError(
            f"SECRET_KEY is the test suite's well-known key; it cannot sign sessions in {env}. "
            "Set SECRET_KEY to a long random value."
        )

    config = {
        "ENV_NAME": env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'marketplace.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR") or str(instance / "search-index"),
        # Uploaded documents, content-addressed (marketplace.documents.storage), and the largest one accepted.
        "DOCUMENTS_DIR": os.environ.get("DOCUMENTS_DIR") or str(instance / "documents"),
        "DOCUMENT_MAX_BYTES": _document_max_bytes(),
        "SEARCH_ENGINE": os.environ.get("SEARCH_ENGINE", ""),  # decided below, once the database is known
        # More ways of writing one thing for search: "a, b c; d, e" (catalog.search.synonyms).
        "SEARCH_SYNONYMS": os.environ.get("SEARCH_SYNONYMS", ""),
        "OCDS_OCID_PREFIX": _ocid_prefix(),  # open contracting ids (contracts.reporting.ocds)
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
        # Requests naming another host get 400 (Flask checks it before routing); unset, any Host is
        # served, and redirects still never repeat it (`marketplace.security.keep_redirects_on_site`).
        "TRUSTED_HOSTS": _trusted_hosts(),
        # Behind a reverse proxy: trust its X-Forwarded-For/-Proto/... (client address, https) this far.
        "PROXY_FIX": _proxy_fix(),
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked in one before_request, which knows about API tokens
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "TESTING": env == "testing",
        # scrypt in real use; a cheap hash only for the test suite, which creates many accounts.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000" if env == "testing" else "scrypt",
        **_mail_config(instance),
    }
    config.update(overrides)
    config["SEARCH_ENGINE"] = _search_engine(config["SEARCH_ENGINE"], str(config["SQLALCHEMY_DATABASE_URI"]))
    return config
