"""Settings, all read from the environment (see the configuration table in README.md).

Zero-setup mode is the default: SQLite in var/, no Redis, in-process channel layer, Celery tasks
run inline, a secret key made once in var/. Setting REDIS_URL and a PostgreSQL DATABASE_URL
switches to the scaled-out mode. DEBUG is off unless asked for, and without it the site is
secure by default (HTTPS only, secure cookies, HSTS): HTTPS=0 serves plain HTTP.
"""

import ipaddress
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ticketing.env import env_bool, env_int, env_list, env_str, kept_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)  # on only when asked for (DEBUG=1 make run)
# Zero-setup mode (the default): no Redis, so one machine, one process. Setting REDIS_URL and
# a PostgreSQL DATABASE_URL switches to the scaled-out mode.
REDIS_URL = env_str("REDIS_URL") or None
ZERO_SETUP = REDIS_URL is None

# An unset key: zero-setup mode makes one once and keeps it in var/ (so `make run` needs no
# setup and sessions survive restarts); scaled out, every process must share the one given,
# so without it the site refuses to serve (ticketing.env.require_serving_settings) while
# tools that only read the models (makemigrations --check) still work.
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY and ZERO_SETUP:
    SECRET_KEY = kept_secret_key(VAR_DIR / "secret_key")
elif not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG=1"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Secure by default: without DEBUG the site is taken to be served over HTTPS (by itself or a
# TLS-terminating proxy): plain HTTP is redirected, cookies are secure, HSTS is sent, and
# `check --deploy` is clean. HTTPS=0 turns all of it off for plain HTTP (`make run` and
# `make run-prod` on this machine do); each setting below can still be set on its own. Behind
# a proxy that terminates TLS, set TRUST_X_FORWARDED_PROTO=1, or every request looks like HTTP.
HTTPS = env_bool("HTTPS", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# Load balancers and Prometheus probe these over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_ENGINE = "ticketing.sessions"  # database sessions, lockable (ticketing/sessions.py)
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "ticketing",
    "catalog",
    "booking",
    "waitlist",
    "waitingroom",
    "storefront",
    "staff",
]

MIDDLEWARE = [
    "ticketing.handlers.ApiProblemsMiddleware",
    "ticketing.middleware.RequestIdMiddleware",
    "ticketing.middleware.MetricsMiddleware",
    "ticketing.handlers.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ticketing.i18n.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "staff.timezones.StaffTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ticketing.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "ticketing.urls"
ASGI_APPLICATION = "ticketing.asgi.application"
# Threads per web process running plain HTTP requests; more requests than this wait in line
# (ticketing/http.py). Requests waiting on the payment gateway have threads of their own.
WEB_THREADS = env_int("WEB_THREADS", 4, minimum=1)
WEB_GATEWAY_THREADS = env_int("WEB_GATEWAY_THREADS", 16, minimum=1)
# The hottest API endpoints (holding chosen seats, seat maps) on the event loop
# (ticketing.lean); LEAN_API=0 sends them through Django like the rest.
LEAN_API = env_bool("LEAN_API", True)
# At most this many async PostgreSQL connections per event loop on the lean path (the
# server's, and the hold line's; each opens one at startup and more as requests wait). The
# line decides many shows at once, each a connection while it is decided: with 4, uncontended
# holds at 300/s waited for one (p99 110-130 ms against 51 ms with 8; docs/performance.md).
LEAN_DB_POOL_SIZE = env_int("LEAN_DB_POOL_SIZE", 8, minimum=1)
# With Redis, holds for one show from every web process are decided in one line, in the order
# they arrived (ticketing.line); a request reaching the line more than HOLD_LINE_GRACE_MS after
# its arrival can lose to a later one. HOLD_LINE=0: each process decides its own, in order.
HOLD_LINE = env_bool("HOLD_LINE", True)
HOLD_LINE_GRACE_MS = env_int("HOLD_LINE_GRACE_MS", 3, minimum=0)
# How often a lean seat-map read checks the show's seat-map version (0: every read).
SEAT_MAP_RECHECK_MS = env_int("SEAT_MAP_RECHECK_MS", 50, minimum=0)
# Websockets connecting at once per process (each joins groups and reads the database).
WS_CONNECT_CONCURRENCY = env_int("WS_CONNECT_CONCURRENCY", 32, minimum=1)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "sqlite:///var/db.sqlite3")
try:
    _db = dj_database_url.parse(DATABASE_URL)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None

if _db["ENGINE"] == "django.db.backends.sqlite3":
    name = Path(_db["NAME"])
    if _db["NAME"] != ":memory:" and not name.is_absolute():
        name = BASE_DIR / name
    if _db["NAME"] != ":memory:":
        name.parent.mkdir(parents=True, exist_ok=True)
        _db["NAME"] = str(name)
        # A file, not Django's shared in-memory database: the concurrency tests use threads,
        # and shared-cache memory databases lock whole tables instead of honouring timeouts.
        _db["TEST"] = {"NAME": str(name.with_name(f"{name.stem}-test.sqlite3"))}
    _db["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one failing
        # with "database is locked" half-way through a hold.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_MAX_AGE"] = 0  # the pool owns connection lifetimes
    if env_bool("DB_POOL", True):
        pool = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 1, minimum=0),
            "max_size": env_int("DB_POOL_MAX_SIZE", 20, minimum=1),
            "timeout": env_int("DB_POOL_TIMEOUT", 10, minimum=1),
        }
        # Keep what DATABASE_URL's query string says (sslmode, sslrootcert, options, …).
        _db["OPTIONS"] = {**_db.get("OPTIONS", {}), "pool": pool}
        # Check a connection as it leaves the pool (Django passes psycopg_pool's check): after
        # a database restart the pool hands out fresh connections instead of dead ones.
        _db["CONN_HEALTH_CHECKS"] = env_bool("DB_POOL_CHECK", True)
else:
    raise ImproperlyConfigured(f"DATABASE_URL must be sqlite or postgresql, not {_db['ENGINE']}")

DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, channels, cache, Celery --------------------------------------------------------
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/Sub: a group message crosses Redis once per web process, which hands it to
            # its own sockets; the list-based layer queued one copy per socket through Redis
            # (10,000 sockets: 5 s to reach them all). Live updates are best effort anyway:
            # versions let a client that misses one catch up.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_connect_timeout": 1}]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    # Channels' in-memory layer, tidied of expired messages once a second, not per message.
    CHANNEL_LAYERS = {"default": {"BACKEND": "ticketing.layers.TidiedInMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Metrics (ticketing.metrics): scaled out, the processes of a host add their figures up in one
# directory, which prometheus_client must know before it is first imported, so here. The
# default suits one checkout running the Procfile; give each host (or container group) its own.
if REDIS_URL:
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "metrics"))
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Enqueueing must not stall a request when Redis is down: fail fast, then run inline instead.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = ZERO_SETUP  # one process: tasks run inline, after commit
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
RECOVERY_INTERVAL_SECONDS = env_int("RECOVERY_INTERVAL_SECONDS", 30, minimum=1)
# How often expired holds are tidied up and their seats handed to the waiting list (by beat,
# or the in-process sweeper). Expiry itself needs no sweep; the waiting list's offers do.
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_MS", 500, minimum=50) / 1000
# The periodic jobs and their intervals are registered by the apps (ticketing.jobs).
# Zero-setup mode has no beat: the web process sweeps expired holds itself (ticketing/lifespan).
IN_PROCESS_SWEEPER = env_bool("IN_PROCESS_SWEEPER", ZERO_SETUP)

# --- Domain settings -------------------------------------------------------------------------
HOLD_TTL_SECONDS = env_int("HOLD_TTL_SECONDS", 300, minimum=1)
SHOW_CLEANING_GAP_MINUTES = env_int("SHOW_CLEANING_GAP_MINUTES", 15, minimum=0)
MAX_SEATS_PER_HOLD = 10

# --- Abuse limits (RATE_LIMIT_ENABLED=0 turns the rate limits and the caps off, for load tests)
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", True)
RATE_LIMITS = {
    "holds": env_str("RATE_LIMIT_HOLDS", "30/min"),
    "checkout": env_str("RATE_LIMIT_CHECKOUT", "10/min"),
    # Asking how a started payment stands (back from 3-D Secure, or polling while it processes)
    "payment_status": env_str("RATE_LIMIT_PAYMENT_STATUS", "60/min"),
    "waitlist": env_str("RATE_LIMIT_WAITLIST", "10/min"),
    "room": env_str("RATE_LIMIT_ROOM", "20/min"),
    # "Find my booking": requests per client, and emails per booking whoever asks.
    "find_booking": env_str("RATE_LIMIT_FIND_BOOKING", "10/hour"),
    "booking_email": env_str("RATE_LIMIT_BOOKING_EMAIL", "3/hour"),
}
HOLDS_PER_CLIENT_PER_SHOW = env_int("HOLDS_PER_CLIENT_PER_SHOW", 2, minimum=1)
HOLDS_PER_CLIENT = env_int("HOLDS_PER_CLIENT", 6, minimum=1)
WAITLIST_PER_CLIENT_PER_SHOW = env_int("WAITLIST_PER_CLIENT_PER_SHOW", 2, minimum=1)
# Places one client may have in one show's waiting room (a household sharing an address).
WAITING_ROOM_PER_CLIENT = env_int("WAITING_ROOM_PER_CLIENT", 4, minimum=1)
# A waiting room's defaults (each room may change them in the admin).
WAITING_ROOM_OPENS_MINUTES = env_int("WAITING_ROOM_OPENS_MINUTES", 15, minimum=1)
WAITING_ROOM_PASS_MINUTES = env_int("WAITING_ROOM_PASS_MINUTES", 5, minimum=1)
WAITING_ROOM_MAX_CHOOSING = env_int("WAITING_ROOM_MAX_CHOOSING", 100, minimum=1)
# One client, for the caps and rate limits: addresses in the same network of this many bits
# (IPv6 subscribers get a whole /64 each; an IPv4 address is usually one household or NAT).
CLIENT_IPV4_PREFIX = env_int("CLIENT_IPV4_PREFIX", 32, minimum=8)
CLIENT_IPV6_PREFIX = env_int("CLIENT_IPV6_PREFIX", 64, minimum=16)
if CLIENT_IPV4_PREFIX > 32 or CLIENT_IPV6_PREFIX > 128:
    raise ImproperlyConfigured("CLIENT_IPV4_PREFIX is at most 32, CLIENT_IPV6_PREFIX at most 128")
# Proxies whose X-Forwarded-For we believe (addresses or networks, comma-separated).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _rate_name, _rate in RATE_LIMITS.items():
    if not re.fullmatch(r"\d+/(s|sec|m|min|h|hour)", _rate):
        raise ImproperlyConfigured(f"RATE_LIMIT_{_rate_name.upper()}={_rate!r}: use e.g. 30/min")
# A request with an Idempotency-Key that has not finished after this long is taken to have
# died with its process, and the key may run again (ticketing/idempotency.py).
IDEMPOTENCY_LEASE_SECONDS = env_int("IDEMPOTENCY_LEASE_SECONDS", 120, minimum=1)
# Who may read /metrics: these addresses or networks, or a scraper sending METRICS_TOKEN as a
# bearer token (Prometheus: authorization.credentials).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
for _network in [*TRUSTED_PROXIES, *METRICS_ALLOWED_IPS]:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"{_network!r} (TRUSTED_PROXIES or METRICS_ALLOWED_IPS) is "
                                   "not an address or network") from None
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 64 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")  # for links in emails
# While a charge is in flight the hold is kept this long at least, so it cannot expire under a
# slow gateway; a charge that still lands too late is refunded automatically.
PAYMENT_GRACE_SECONDS = env_int("PAYMENT_GRACE_SECONDS", 90, minimum=1)
# The payment gateway: "test" (the built-in test gateway, the zero-setup default: its card
# form posts to us, so it never takes real money) or "stripe" (card fields are Stripe's own,
# in the browser; see the README's "Taking real payments"). A dotted path names a class of
# your own with the same interface.
PAYMENT_GATEWAYS = {"test": "booking.payments.TestGateway",
                    "stripe": "booking.stripe_gateway.StripeGateway"}
_gateway = env_str("PAYMENT_GATEWAY", "test")
PAYMENT_GATEWAY = PAYMENT_GATEWAYS.get(_gateway, _gateway)
if "." not in PAYMENT_GATEWAY:
    raise ImproperlyConfigured(f"PAYMENT_GATEWAY={PAYMENT_GATEWAY!r}: choose test or stripe")
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
# Stripe's API (a Stripe-compatible server for tests and development, such as localstripe);
# Stripe.js is loaded from STRIPE_JS_URL, by default Stripe's own or the local server's.
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/")
STRIPE_JS_URL = env_str("STRIPE_JS_URL", "") or (
    "https://js.stripe.com/v3/" if STRIPE_API_BASE == "https://api.stripe.com"
    else f"{STRIPE_API_BASE}/js.stripe.com/v3/")
if _gateway == "stripe" or PAYMENT_GATEWAY == "booking.stripe_gateway.StripeGateway":
    for _name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"):
        if not globals()[_name]:
            raise ImproperlyConfigured(f"{_name} is required when PAYMENT_GATEWAY=stripe")
TEST_GATEWAY_SLOW_SECONDS = float(env_int("TEST_GATEWAY_SLOW_MS", 3000, minimum=0)) / 1000

# --- Email ---------------------------------------------------------------------------------
CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Unset, emails go to the console, which is only right while developing: with DEBUG off the
# site refuses to serve until EMAIL_BACKEND is chosen (ticketing.env.require_serving_settings),
# console included (`make run` chooses it, so the demo's emails appear in its terminal).
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or CONSOLE_EMAIL_BACKEND
EMAIL_BACKEND_CHOSEN = bool(env_str("EMAIL_BACKEND"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Reel Seats <tickets@localhost>")

# --- HTTP --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["ticketing.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "ticketing.pagination.Pagination",
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "ticketing.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ticketing API",
    "DESCRIPTION": "Browse cities, movies and shows; hold seats; check out; wait in line.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Docs assets are served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ticketing.openapi.add_problem_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SeatStateEnum": "booking.models.SeatState",
        "BookingStateEnum": "booking.models.Booking.State",
        "WaitlistStateEnum": "waitlist.models.WaitlistEntry.State",
    },
}

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"  # collectstatic's target; production images fill it
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True  # serve straight from the apps in one-process mode, no collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LANGUAGE_CODE = "en"
# The moviegoer site, its emails and its API errors (ticketing.i18n); chosen by the language
# switcher's cookie, then Accept-Language. Translations: locale/, compiled by `make install`.
LANGUAGES = [("en", "English"), ("pt", "Português"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Structured logs: one JSON object a line, each with the request id (carried into Celery
# tasks). Nothing logs tokens, card numbers or customers' names and emails.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ticketing.context.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
