"""Settings, all read from the environment.

With nothing set, the project runs embedded: SQLite, Celery tasks executed in-process,
an in-memory cache and e-mail printed to the console. Setting DATABASE_URL and REDIS_URL
switches to PostgreSQL (psycopg 3) and Redis (Celery broker, result backend and cache).
DJANGO_ENV=production refuses to start without a secret key and allowed hosts and turns
on every deployment safeguard that `manage.py check --deploy` asks for.
"""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"
# Public on purpose (it is in the repository), so production refuses it.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-never-used-in-production-0123456789"

if PRODUCTION:
    if not env.str("DJANGO_SECRET_KEY", default=""):
        raise ImproperlyConfigured("DJANGO_ENV=production needs DJANGO_SECRET_KEY.")
    if env.str("DJANGO_SECRET_KEY") == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is the public development key; production needs its own."
        )
    if not env.list("DJANGO_ALLOWED_HOSTS", default=[]):
        raise ImproperlyConfigured("DJANGO_ENV=production needs DJANGO_ALLOWED_HOSTS.")
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    DEBUG = False
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
else:
    # A development-only key: production refuses to start without its own.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
    DEBUG = env.bool("DJANGO_DEBUG", default=True)
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin, staff only, with the security hooks of marketplace/core/security.py.
    "marketplace.core.security.SecurityAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "rest_framework_api_key",
    "simple_history",
    "django_htmx",
    "marketplace.core",
    "marketplace.accounts",
    "marketplace.ownership",
    "labs",
    "vendors",
    "marketplace.exchange",
    "marketplace.partners",
    "marketplace.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.core.security.SecurityLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

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
                "marketplace.accounts.context_processors.organisation",
                "marketplace.exchange.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side parameter binding lets psycopg prepare a statement once a connection has
    # run it five times: the API's hot reads then skip PostgreSQL's planner (about 0.8 ms
    # of a 1.4 ms join here). Behind PgBouncer in transaction mode this needs PgBouncer
    # 1.21+ with max_prepared_statements set, or DATABASE_PREPARED_STATEMENTS=false.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=5
        )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and in-process tasks share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------
# Upload limits per kind of file (marketplace/core/uploads.py, docs/security.md). Files
# over FILE_UPLOAD_MAX_MEMORY_SIZE are streamed to a temporary file, so a limit is checked
# against the measured size before anything is read back.
ROSTER_CSV_MAX_BYTES = env.int("ROSTER_CSV_MAX_BYTES", default=5 * 1024 * 1024)
BODS_MAX_BYTES = env.int("BODS_MAX_BYTES", default=10 * 1024 * 1024)
ATTESTATION_DOCUMENT_MAX_BYTES = env.int("ATTESTATION_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Uploads are read whole when an Idempotency-Key is hashed; requests larger than the
# largest upload (plus room for the form's other fields) are refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = (
    max(ROSTER_CSV_MAX_BYTES, BODS_MAX_BYTES, ATTESTATION_DOCUMENT_MAX_BYTES) + 2 * 1024 * 1024
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The site's own CSS and JS, and the few files it serves from packages that `make
# install` fetches with npm (node_modules/ is never committed).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
    ("vendor/pico", BASE_DIR / "node_modules/@picocss/pico/css"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Redis: cache, Celery broker and result backend -------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery (DESIGN section 6). The database is the source of truth; Celery only executes.
# Tasks are enqueued after commit (delay_on_commit), carry ids, and are idempotent, so
# redelivery after a lost worker is harmless.
# CELERY_BROKER_URL may point at RabbitMQ (amqp://...) instead; Redis stays the cache and
# result backend. With no broker at all, tasks run in-process (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A message not acknowledged within the visibility timeout is redelivered; every task's
# hard time limit stays well below it so a running task is never handed out twice.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
if CELERY_TASK_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must be below CELERY_VISIBILITY_TIMEOUT.")
# Retries of transient errors (marketplace/core/tasks.py): the n-th waits backoff * 2**n
# seconds, capped at the maximum, randomised below that unless jitter is off.
TASK_RETRY_BACKOFF = env.int("TASK_RETRY_BACKOFF", default=2)
TASK_RETRY_BACKOFF_MAX = env.int("TASK_RETRY_BACKOFF_MAX", default=300)
TASK_RETRY_JITTER = env.bool("TASK_RETRY_JITTER", default=True)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True

PERIODIC_INTERVAL_SECONDS = env.int("PERIODIC_INTERVAL_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "close-bidding-at-deadline": {
        "task": "marketplace.exchange.tasks.close_due_bidding_task",
        "schedule": timedelta(seconds=PERIODIC_INTERVAL_SECONDS),
    },
    "reconcile-screenings": {
        "task": "marketplace.exchange.tasks.reconcile_screenings_task",
        "schedule": timedelta(seconds=PERIODIC_INTERVAL_SECONDS),
    },
    "reconcile-matching": {
        "task": "marketplace.exchange.tasks.reconcile_matching_task",
        "schedule": timedelta(seconds=PERIODIC_INTERVAL_SECONDS),
    },
    "expire-credentials": {
        "task": "vendors.tasks.expire_credentials_task",
        "schedule": crontab(minute=5),
    },
    "expire-attestations": {
        "task": "vendors.tasks.expire_attestations_task",
        "schedule": crontab(minute=10),
    },
    "reconcile-roster-imports": {
        "task": "vendors.tasks.reconcile_roster_imports_task",
        "schedule": timedelta(seconds=PERIODIC_INTERVAL_SECONDS),
    },
    "retry-webhooks": {
        "task": "marketplace.partners.tasks.webhook_retry_due_task",
        "schedule": timedelta(seconds=PERIODIC_INTERVAL_SECONDS),
    },
    "reconcile-webhook-events": {
        "task": "marketplace.partners.tasks.webhook_event_reconcile_task",
        "schedule": timedelta(seconds=PERIODIC_INTERVAL_SECONDS),
    },
    "purge-form-submissions": {
        "task": "marketplace.core.tasks.form_submission_purge_task",
        "schedule": crontab(minute=20),
    },
    "purge-expired-idempotency-keys": {
        "task": "marketplace.partners.tasks.idempotency_purge_expired_task",
        "schedule": crontab(minute=15),
    },
}

# --- E-mail -----------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
if PRODUCTION or env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="marketplace@localhost")

# --- Django REST framework and the OpenAPI schema ----------------------------------------
REST_FRAMEWORK = {
    # Bearer first: its challenge makes missing or bad credentials a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "marketplace.partners.authentication.BearerAPIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "marketplace.core.schema.JSONBodyAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "marketplace.core.pagination.CappedLimitOffsetPagination",
    "EXCEPTION_HANDLER": "marketplace.core.api.api_exception_handler",
}
# Requests per API key (by scope) or per signed-in user; "N/second|minute|hour|day".
# How long a process may go on accepting an API key it looked up, after the key was
# revoked elsewhere (marketplace/partners/authentication.py). 0 looks keys up every time.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=5)
API_THROTTLE_RATES = {
    "write_key": env.str("API_THROTTLE_WRITE_KEY", default="600/min"),
    "read_key": env.str("API_THROTTLE_READ_KEY", default="1200/min"),
    "user": env.str("API_THROTTLE_USER", default="600/min"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Expert Data Exchange API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The error responses every view can give, documented once (marketplace/core/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "marketplace.core.openapi.add_error_responses",
    ],
}

# --- Domain settings ---------------------------------------------------------------------
# Conflict policy defaults (DESIGN section 4): IAS 28 presumes significant influence at 20%.
SCREENING_DEFAULT_BLOCK_PERCENT = Decimal(env.str("SCREENING_DEFAULT_BLOCK_PERCENT", default="20"))
SCREENING_DEFAULT_REVIEW_PERCENT = Decimal(env.str("SCREENING_DEFAULT_REVIEW_PERCENT", default="5"))
SCREENING_DEFAULT_LOOKBACK_MONTHS = env.int("SCREENING_DEFAULT_LOOKBACK_MONTHS", default=12)
# The effective-ownership engine: longest chain followed, and the share (percent) below
# which a path is too small to matter and is pruned.
OWNERSHIP_MAX_DEPTH = env.int("OWNERSHIP_MAX_DEPTH", default=10)
OWNERSHIP_MATERIALITY_FLOOR_PERCENT = Decimal(
    env.str("OWNERSHIP_MATERIALITY_FLOOR_PERCENT", default="0.01")
)
# Matching (DESIGN section 5): how many of the best-ranked eligible vendors are invited.
MATCHING_INVITE_TOP_N = env.int("MATCHING_INVITE_TOP_N", default=10)
# Webhooks (docs/webhooks.md): plain http is accepted only to 127.0.0.1, and only in
# development and tests; every attempt times out after this many seconds.
WEBHOOK_ALLOW_HTTP_LOCALHOST = env.bool("WEBHOOK_ALLOW_HTTP_LOCALHOST", default=DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)

# --- Security ----------------------------------------------------------------------------
# docs/security.md explains each choice. What a deployment may need to change is read from
# the environment; every default is the safe value.

# Cookies: the session cookie is never readable by page script, neither cookie rides on
# cross-site subrequests, and both are HTTPS-only in production. A session lasts a working
# day rather than Django's two weeks: these accounts award contracts.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=60 * 60 * 12)
CSRF_COOKIE_SAMESITE = "Lax"
# Logs the refusal and shows templates/403_csrf.html, which names no reason.
CSRF_FAILURE_VIEW = "marketplace.core.security.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# How many reverse proxies in front of the web process append to X-Forwarded-For. With 0
# (the default) no header is believed and the connection's address is the client's; a
# number higher than the real one would let a client pick its own address, and so dodge
# the login throttle, by sending the header itself.
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

# Login throttling (django-axes), for the sign-in page and the admin's alike. After
# LOGIN_FAILURE_LIMIT failures for one e-mail address from one client address, that pair
# is refused (429, "try again later", whatever the password) until LOGIN_COOLOFF_MINUTES
# have passed since its last attempt. The pair is locked, not the account, so nobody can
# lock a colleague out from elsewhere; and not the address alone, so one person's typos
# do not lock out a whole office behind one NAT address.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "marketplace.core.security.login_username"
AXES_CLIENT_IP_CALLABLE = "marketplace.core.security.client_ip"
AXES_LOCKOUT_CALLABLE = "marketplace.core.security.lockout_response"
AUTHENTICATION_BACKENDS = [
    # First: a locked-out pair is refused before its password is checked. It needs the
    # request, so code that signs people in calls authenticate(request, ...).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Refused logins and requests (marketplace/core/security.py); never silenced.
        "marketplace.security": {"level": "INFO"},
        # django-axes logs failures at WARNING, and every successful sign-in at INFO.
        "axes": {"level": "WARNING"},
    },
}
