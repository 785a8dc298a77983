"""Configuration profiles (development, test, production) read from environment variables.

Every setting that differs between machines comes from the environment; nothing secret is committed.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-verval"
SECRET_KEYS = ("SECRET_KEY", "JWT_SECRET_KEY")
DEV_SECRETS_FILE = PROJECT_ROOT / "var" / "dev-secrets.json"


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class BaseConfig:
    PROFILE = "base"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "")
    # hide_parameters: a failed statement's values (NIKs, names, GPS) never end up in an exception's text.
    # Connections per web process: gunicorn's threads of a worker share them, and a request holds one only while
    # it talks to the database (a slow client's upload holds none), so far fewer than THREADS suffice; WORKERS x
    # (DB_POOL_SIZE + DB_POOL_OVERFLOW) + the job workers must stay under PostgreSQL's max_connections (100).
    # A request that waits DB_POOL_TIMEOUT seconds for one answers 503 server.busy with Retry-After.
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,
        "hide_parameters": True,
        "connect_args": {"connect_timeout": 5},
        "pool_size": _int_env("DB_POOL_SIZE", 10),
        "max_overflow": _int_env("DB_POOL_OVERFLOW", 10),
        "pool_timeout": _int_env("DB_POOL_TIMEOUT", 15),
    }
    # No key is ever a constant in the code: production must be given its own (it refuses to start without);
    # development and test use keys generated once per installation into DEV_SECRETS_FILE (git-ignored).
    SECRET_KEY = ""
    JWT_SECRET_KEY = ""
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=_int_env("JWT_ACCESS_MINUTES", 15))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=_int_env("JWT_REFRESH_DAYS", 30))
    PHOTO_STORE = os.environ.get("PHOTO_STORE", str(PROJECT_ROOT / "var" / "photos"))
    PHOTO_S3_BUCKET = os.environ.get("PHOTO_S3_BUCKET", "")
    PHOTO_S3_ENDPOINT = os.environ.get("PHOTO_S3_ENDPOINT") or None
    PHOTO_S3_REGION = os.environ.get("PHOTO_S3_REGION") or None
    PHOTO_MAX_BYTES = _int_env("PHOTO_MAX_BYTES", 15 * 1024 * 1024)
    PHOTO_MAX_PIXELS = _int_env("PHOTO_MAX_PIXELS", 50_000_000)
    UPLOAD_MAX_CHUNK_BYTES = _int_env("UPLOAD_MAX_CHUNK_BYTES", 5 * 1024 * 1024)
    UPLOAD_MAX_AGE_DAYS = _int_env("UPLOAD_MAX_AGE_DAYS", 14)
    # The biggest legitimate body is a photo upload chunk; everything else is far smaller.
    MAX_CONTENT_LENGTH = _int_env("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)
    # Longer URLs get 414 in the JSON envelope; gunicorn.conf.py lets request lines up to 8190 bytes through.
    MAX_URL_LENGTH = _int_env("MAX_URL_LENGTH", 4096)
    # Counters shared by every worker: unset means a table in the app's own database (server/security/
    # ratelimit.py); compose sets redis://. Never memory:// with several workers (each would count alone).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")
    RATELIMIT_HEADERS_ENABLED = True
    # Login limits (docs/operations.md). Per address, every attempt: 200 field phones behind one carrier NAT
    # all log in within a minute. Per address, failures only. Per account *and* address, failures only: a
    # stranger guessing enumerator1's password is slowed down at their own address and cannot lock the
    # enumerator out at theirs.
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "300 per minute")
    LOGIN_FAILURES_PER_ADDRESS = os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "30 per minute;300 per hour")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour")
    JSON_SORT_KEYS = False
    # Reverse proxies in front that set X-Forwarded-For (1 behind the compose proxy); 0 = none, trust nothing.
    TRUST_PROXY_HOPS = _int_env("TRUST_PROXY_HOPS", 0)
    # Who may read /metrics (never through the proxy): loopback and the private networks compose uses.
    METRICS_ALLOWED_NETWORKS = tuple(
        os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16").split(
            ","
        )
    )
    # A phone that has not synced for longer than this must resync from scratch (410 on its cursor).
    SYNC_CURSOR_MAX_AGE_DAYS = _int_env("SYNC_CURSOR_MAX_AGE_DAYS", 30)
    ALLOW_DEMO_PASSWORD = True
    # Kelurahan polygons the demo city places its households in: the copy bundled with the region codes
    # (server/regions/data, MIT, attribution in its README), so a clone or an image needs nothing beside it.
    KELURAHAN_BOUNDARIES = os.environ.get(
        "KELURAHAN_BOUNDARIES", str(PROJECT_ROOT / "server" / "regions" / "data" / "samarinda_kelurahan.geojson")
    )
    # Background jobs (server/jobs): uploads waiting for a worker and result files live in JOB_STORE,
    # a folder the web processes and the workers share.
    JOB_STORE = os.environ.get("JOB_STORE", str(PROJECT_ROOT / "var" / "jobs"))
    # True: a job runs at once inside the request that enqueues it (tests; no worker needed).
    JOBS_INLINE = os.environ.get("JOBS_INLINE", "").lower() in {"1", "true", "yes"}
    JOBS_LEASE_SECONDS = _int_env("JOBS_LEASE_SECONDS", 60)
    JOBS_HEARTBEAT_SECONDS = _int_env("JOBS_HEARTBEAT_SECONDS", 10)
    JOBS_POLL_SECONDS = _int_env("JOBS_POLL_SECONDS", 5)
    # /api/v1/health answers 503 when a job has waited longer than this for a worker.
    JOBS_MAX_QUEUE_AGE_SECONDS = _int_env("JOBS_MAX_QUEUE_AGE_SECONDS", 300)
    # Result files (exports: personal data) are deleted this long after the job finished.
    JOBS_RESULT_MAX_AGE_DAYS = _int_env("JOBS_RESULT_MAX_AGE_DAYS", 7)
    # A dry run of a file up to this size answers in the request; a bigger one becomes a job.
    IMPORT_SYNC_DRY_RUN_MAX_BYTES = _int_env("IMPORT_SYNC_DRY_RUN_MAX_BYTES", 2 * 1024 * 1024)
    # Staff workspace (/staff/, server/staff): server-side sessions ended after this long without a request,
    # and this long after login whatever happens; the cookie is Secure except in development and tests
    # (plain http on 127.0.0.1). CSRF tokens (Flask-WTF) live as long as the session; no Referer check (the
    # app sends Referrer-Policy: no-referrer), the token and the SameSite cookie are the protection.
    STAFF_IDLE_MINUTES = _int_env("STAFF_IDLE_MINUTES", 30)
    STAFF_MAX_HOURS = _int_env("STAFF_MAX_HOURS", 10)
    STAFF_COOKIE_SECURE = True
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = False
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Makassar"


class DevelopmentConfig(BaseConfig):
    PROFILE = "development"
    STAFF_COOKIE_SECURE = False


class TestConfig(BaseConfig):
    PROFILE = "test"
    TESTING = True
    STAFF_COOKIE_SECURE = False
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True, "connect_args": {"connect_timeout": 5}}
    JOBS_INLINE = True
    JOB_STORE = os.environ.get("JOB_STORE", str(Path(tempfile.gettempdir()) / f"verval-test-jobs-{os.getpid()}"))
    # Every /api/ answer is compared with the OpenAPI document (server/openapi/check.py); a server the tests
    # start in another process appends its mismatches to this file.
    CHECK_RESPONSES = True
    # Cheap argon2id for the suite's hundreds of users (production keeps argon2-cffi's defaults; tested).
    PASSWORD_HASH_COST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    RESPONSE_MISMATCH_LOG = os.environ.get("RESPONSE_MISMATCH_LOG")
    # Map data versions read on every request, never by a background thread (server/gis/versions.py).
    TILE_VERSION_TTL_S = 0


class ProductionConfig(BaseConfig):
    PROFILE = "production"
    ALLOW_DEMO_PASSWORD = False


PROFILES: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env(profile: str | None = None, **overrides) -> dict:
    """The settings of a profile as a plain dict, with the environment read now (not at import)."""
    name = profile or os.environ.get("VERVAL_PROFILE", "development")
    if name not in PROFILES:
        raise ValueError(f"unknown VERVAL_PROFILE {name!r}; expected one of {sorted(PROFILES)}")
    cls = PROFILES[name]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    settings["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", settings["SQLALCHEMY_DATABASE_URI"])
    for key in SECRET_KEYS:
        settings[key] = os.environ.get(key, "")
    settings.update(overrides)
    if name != "production" and not all(settings[key] for key in SECRET_KEYS):
        generated = development_secrets(Path(os.environ.get("VERVAL_DEV_SECRETS_FILE") or DEV_SECRETS_FILE))
        for key in SECRET_KEYS:
            settings[key] = settings[key] or generated[key]
    if not settings["RATELIMIT_STORAGE_URI"]:
        settings["RATELIMIT_STORAGE_URI"] = _shared_limit_store(settings["SQLALCHEMY_DATABASE_URI"])
    if name == "production":
        _check_production(settings)
    return settings


def development_secrets(path: Path) -> dict[str, str]:
    """This installation's development keys: read from `path`, or generated there (mode 0600) the first time.

    Two processes starting at once (gunicorn workers, a test and its server) agree: the file is created
    exclusively and whoever loses the race reads the winner's keys."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = {key: secrets.token_urlsafe(48) for key in SECRET_KEYS}
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump(keys, out)
        try:
            os.link(temporary, path)  # fails if another process made the file first: keep theirs
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    stored = json.loads(path.read_text())
    return {key: stored[key] for key in SECRET_KEYS}


def _shared_limit_store(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        return "memory://"  # no database configured (a CLI that needs none): nothing to share
    from server.security.ratelimit import STORAGE_URI

    return STORAGE_URI


def _check_production(settings: dict) -> None:
    for key in SECRET_KEYS:
        if not settings[key] or settings[key].startswith("dev-") or len(settings[key]) < 32:
            raise ValueError(f"{key} must be set to a random value of at least 32 characters in production")
    if not settings["SQLALCHEMY_DATABASE_URI"]:
        raise ValueError("DATABASE_URL must be set in production")
