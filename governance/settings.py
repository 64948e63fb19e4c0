"""Settings, all from the environment. The embedded default needs no external service.

Nothing set: SQLite and Celery's filesystem transport under var/, console email.
DATABASE_URL, CELERY_BROKER_URL (or REDIS_URL) switch to PostgreSQL and Redis.
DJANGO_ENV=production refuses to start without a real secret key, allowed hosts, a report
signing key and a public SITE_URL.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from governance.env import (
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
    secret_key_problem,
    url_problem,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("GOVERNANCE_VAR_DIR", BASE_DIR / "var")

ENVIRONMENT = env_str("DJANGO_ENV", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG cannot be on when DJANGO_ENV=production")


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        problem = secret_key_problem(key) if PRODUCTION else None
        if problem:
            raise ImproperlyConfigured(
                f"DJANGO_SECRET_KEY {problem}. Generate one with: python -c "
                "'import secrets; print(secrets.token_urlsafe(64))'"
            )
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production")
    # Development: a random key kept under var/ so sessions survive restarts; never in git.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "governance.core",
    "governance.accounts",
    "governance.ledger",
    "governance.inventory",
    "governance.risk",
    "governance.liability",
    "governance.approvals",
    "governance.monitoring",
    "governance.notifications",
    "governance.dashboard",
    "governance.findings",
    "governance.obligations",
    "audits.bias",
    "audits.reports",
]

MIDDLEWARE = [
    # Outermost, so an HTML error from any layer below (or Django itself) under /api/
    # still reaches the client as JSON.
    "governance.core.middleware.ApiErrorsAsJSON",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"

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
                "governance.dashboard.navigation.navigation",
                "governance.notifications.context_processors.inbox",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DATABASE_PREPARED_STATEMENTS", True
    ):
        # Statements run five times on a connection are prepared, so PostgreSQL stops
        # parsing and planning the same short queries on every API call (the gate's
        # throughput rises by about half). Needs parameters bound on the server. Turn it
        # off behind a connection pooler in transaction mode, which cannot keep them.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock when a transaction starts, so two writers
                # never both read the ledger head and then fight over who appends.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "governance.accounts.lockout.UsernameSlowdownBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout after repeated failures, counting the login page and signature re-authentication.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
# Lock the (username, address) pair: locking the username alone let anyone lock anyone out.
# Guessing one password from many addresses is slowed down per username instead
# (governance/accounts/lockout.py), sparing addresses the owner has signed in from.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "governance.accounts.lockout.lockout_response"
LOGIN_SLOWDOWN_AFTER = env_int("LOGIN_SLOWDOWN_AFTER", 10, minimum=1)
LOGIN_SLOWDOWN_MAX_SECONDS = env_int("LOGIN_SLOWDOWN_MAX_SECONDS", 300, minimum=1)
AXES_VERBOSE = False

# --- Cache ------------------------------------------------------------------------------
# Rate limits and login slow-downs count in the cache; several server processes must share
# one (e.g. redis://host:6379/2), or each process counts on its own.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"CACHE_URL must be a redis:// URL, got {CACHE_URL!r}")
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }

# --- I18N -------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
MEDIA_URL = "/media/"  # never served directly: downloads go through permission-checked views
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
# Outside production, WhiteNoise serves straight from the source folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Email ------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "governance@localhost")
# Links in e-mails and the "verify this report at" line of every PDF. Unset outside
# production, it follows the port `make run` serves on (WEB_PORT), so a second instance on
# another port prints its own.
_SERVED_AT = f"http://127.0.0.1:{env_int('WEB_PORT', 8000, minimum=1)}"
SITE_URL = env_str("SITE_URL", "" if PRODUCTION else _SERVED_AT).rstrip("/")
# Every report prints SITE_URL as the place to verify it; a loopback address there sends a
# regulator's reader to their own machine.
if PRODUCTION and (_site_problem := url_problem(SITE_URL)):
    raise ImproperlyConfigured(f"SITE_URL {_site_problem} (DJANGO_ENV=production).")

# --- People -----------------------------------------------------------------------------
# How long an invitation link works (docs/identity.md).
INVITE_MAX_AGE_HOURS = env_int("INVITE_MAX_AGE_HOURS", 72, minimum=1)
# Which roles an identity provider's groups grant, "group=role,group=role", for both sign-in
# (OpenID Connect) and SCIM provisioning; governance/accounts/group_roles.py parses it and
# refuses unknown roles.
GROUP_ROLES = env_str("GROUP_ROLES")

# --- Security ---------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_AGE_SECONDS", 8 * 3600, minimum=300)
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
CSRF_FAILURE_VIEW = "governance.core.errorpages.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

# A strict Content-Security-Policy: no inline scripts anywhere, the API docs included.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "governance.accounts.permissions.HasPerm",
        # A token acts only within its scopes (governance/accounts/scopes.py).
        "governance.accounts.permissions.TokenScopes",
    ],
    "DEFAULT_PAGINATION_CLASS": "governance.core.api.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "governance.core.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "governance.core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "governance.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Model Governance API",
    "DESCRIPTION": (
        "System of record for ML model deployments: inventory, risk, approvals, bias audits, "
        "accountability, reports, and the deployment gate for CI/CD."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "DeploymentStatusEnum": "governance.inventory.choices.DeploymentStatus",
    },
}

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or env_str("REDIS_URL") or "filesystem://"
CELERY_DATA_DIR = VAR_DIR / "celery"
if CELERY_BROKER_URL == "filesystem://":
    for _folder in ("queue", "processed", "control"):
        (CELERY_DATA_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Redelivery of unacknowledged tasks after a worker dies; longer than the hard limit.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600, minimum=60),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
CELERY_WORKER_MAX_TASKS_PER_CHILD = env_int("CELERY_MAX_TASKS_PER_CHILD", 50, minimum=1)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Hourly: the events since the last intact check; daily: the whole chain and every signed
    # checkpoint, which also catches an edit behind the point an hourly run starts from.
    "ledger-verify-hourly": {"task": "ledger.verify_chain", "schedule": 3600.0},
    "ledger-verify-full-daily": {
        "task": "ledger.verify_chain",
        "schedule": 86400.0,
        "kwargs": {"full": True},
    },
    # Re-hashes every stored evidence file: reads the whole media folder, so weekly.
    "evidence-verify-weekly": {"task": "core.verify_evidence", "schedule": 7 * 86400.0},
    "ledger-checkpoint-hourly": {"task": "ledger.checkpoint", "schedule": 3600.0},
    # Sign-off reminders and escalations (e-mail and in-app), and approval expiry: each
    # notice is recorded once, so a repeated or redelivered run sends nothing twice.
    "approvals-sla-notices-hourly": {"task": "approvals.sla_notices", "schedule": 3600.0},
    "approvals-expiry-hourly": {"task": "approvals.expiry", "schedule": 3600.0},
    # Rooms' "due soon / overdue" notifications (governance/notifications/sweeps.py).
    "notifications-sweep-due-daily": {"task": "notifications.sweep_due", "schedule": 86400.0},
}

# --- monitoring ---
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "IncidentStatusEnum": "governance.monitoring.choices.IncidentStatus",
        "AuthorityReportKindEnum": "governance.monitoring.choices.AuthorityReportKind",
        "SeriousCategoryEnum": "governance.monitoring.choices.SeriousCategory",
        "MetricKindEnum": "governance.monitoring.choices.MetricKind",
        "MetricDirectionEnum": "governance.monitoring.choices.Direction",
        "AlertLevelEnum": "governance.monitoring.choices.AlertLevel",
        "DriftBandEnum": "governance.monitoring.choices.DriftBand",
        "DeploymentActionKindEnum": "governance.monitoring.choices.DeploymentActionKind",
    }
)
# Both sweeps are idempotent, so a shorter period only finds silences and due reminders
# sooner (the worker tests run them every second).
CELERY_BEAT_SCHEDULE["monitoring-silence-sweep"] = {
    "task": "monitoring.silence_sweep",
    "schedule": float(env_int("MONITORING_SILENCE_SWEEP_SECONDS", 900, minimum=1)),
}
CELERY_BEAT_SCHEDULE["monitoring-incident-reminders"] = {
    "task": "monitoring.incident_reminders",
    "schedule": float(env_int("MONITORING_REMINDER_SWEEP_SECONDS", 300, minimum=1)),
}
# --- ledger ---
# Every signed checkpoint of the chain's head is also appended to checkpoints.jsonl here. Put
# it where those who administer the database cannot rewrite it (another host's mount, an
# append-only or WORM volume): it is what exposes a database whose chain was re-hashed.
LEDGER_CHECKPOINT_DIR = env_path("LEDGER_CHECKPOINT_DIR", VAR_DIR / "ledger-checkpoints")
# Addresses that receive a copy of each checkpoint by e-mail (none by default).
LEDGER_CHECKPOINT_EMAIL = env_list("LEDGER_CHECKPOINT_EMAIL", [])
# SHA-256 fingerprints of earlier signing certificates whose checkpoints stay trusted after the
# key is replaced; the configured certificate is always trusted.
LEDGER_TRUSTED_CERT_SHA256 = env_list("LEDGER_TRUSTED_CERT_SHA256", [])

# --- bias ---
# Largest audit CSV accepted, in bytes (default 200 MB).
BIAS_UPLOAD_MAX_BYTES = env_int("BIAS_UPLOAD_MAX_BYTES", 200 * 1024 * 1024, minimum=1)
# LL144 §5-301(a): a tool may not be used when its latest bias audit is more than this old.
BIAS_AUDIT_VALIDITY_MONTHS = env_int("BIAS_AUDIT_VALIDITY_MONTHS", 12, minimum=1)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {"BiasAuditStatusEnum": "audits.bias.choices.AuditStatus"}
)

# --- reports ---
# The organisation's signing key and certificate: PEM text or the path of a PEM file. Outside
# production, `manage.py ensure_signing_certificate` (run by `make run`) creates a self-signed
# development pair under var/signing/; production never falls back to it.
REPORT_SIGNING_KEY = env_str("REPORT_SIGNING_KEY")
REPORT_SIGNING_CERT = env_str("REPORT_SIGNING_CERT")
REPORT_SIGNING_PASSPHRASE = env_str("REPORT_SIGNING_PASSPHRASE")
# Production never signs with the development pair, so without a key no report could be
# issued; refuse at start instead of failing the first report (the reports app's start-up
# check then proves the configured pair loads).
if PRODUCTION and not (REPORT_SIGNING_KEY and REPORT_SIGNING_CERT):
    raise ImproperlyConfigured(
        "REPORT_SIGNING_KEY and REPORT_SIGNING_CERT must be set when DJANGO_ENV=production "
        "(PEM text or the path of a PEM file)."
    )
REPORT_DEV_SIGNING_DIR = VAR_DIR / "signing"
# Every gate decision is a record of what was allowed, so by default it waits for
# PostgreSQL's disk flush like every other record. `true` records a replayed gate answer
# (nothing changed since it was computed) without waiting: faster under many pipelines, but a
# database crash (or a failover to a synchronous standby) can lose the last fraction of a
# second of such records. See governance/approvals/gate_replay.py and docs/ci-gate.md.
GATE_DECISIONS_ASYNC_COMMIT = env_bool("GATE_DECISIONS_ASYNC_COMMIT", default=False)
REPORT_ORGANISATION = env_str("REPORT_ORGANISATION", "Model Governance")
# Checks of a document (page and API together) accepted per client address per minute.
VERIFY_RATE_LIMIT = env_int("VERIFY_RATE_PER_MINUTE", 20, minimum=1)
# The reports table is the outbox: a queued report not picked up after this long is sent again.
REPORT_REDISPATCH_AFTER_SECONDS = env_int("REPORT_REDISPATCH_AFTER_SECONDS", 60, minimum=1)
# No task outlives the hard time limit, so a report still running after it lost its worker.
REPORT_STUCK_AFTER_SECONDS = env_int(
    "REPORT_STUCK_AFTER_SECONDS", CELERY_TASK_TIME_LIMIT + 30, minimum=1
)
REPORT_MAX_ATTEMPTS = env_int("REPORT_MAX_ATTEMPTS", 3, minimum=1)
# One export renders a dossier per deployment inside one task's time limit.
EXPORT_MAX_DEPLOYMENTS = env_int("EXPORT_MAX_DEPLOYMENTS", 20, minimum=1)
CELERY_BEAT_SCHEDULE["reports-sweep-queued"] = {"task": "reports.sweep_queued", "schedule": 30.0}
CELERY_BEAT_SCHEDULE["reports-sweep-stuck"] = {"task": "reports.sweep_stuck", "schedule": 60.0}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "ReportKindEnum": "audits.reports.models.ReportKind",
        "JobStatusEnum": "audits.reports.models.JobStatus",
    }
)

# --- liability ---
# Roles that may carry accountable ownership of a deployment; auditors stay independent.
ACCOUNTABLE_OWNER_ROLES = env_list(
    "ACCOUNTABLE_OWNER_ROLES",
    ["requester", "reviewer", "compliance_officer", "legal", "executive", "admin"],
)
# The scopes a party can be responsible for (columns of the accountability matrix).
ACCOUNTABILITY_SCOPES = env_list(
    "ACCOUNTABILITY_SCOPES",
    [
        "model_performance",
        "data_protection",
        "human_oversight",
        "incident_response",
        "regulatory_reporting",
        "fairness",
        "security",
    ],
)
CONTRACT_EXPIRY_WARNING_DAYS = env_int("CONTRACT_EXPIRY_WARNING_DAYS", 60, minimum=1)
CELERY_BEAT_SCHEDULE["liability-recheck-orphans-daily"] = {
    "task": "liability.recheck_orphans",
    "schedule": 86400.0,
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "OwnershipOfferStatusEnum": "governance.liability.choices.OfferStatus",
        "PartyKindEnum": "governance.liability.choices.PartyKind",
        "AIActRoleEnum": "governance.liability.choices.AIActRole",
        "AnnexIIIAreaEnum": "governance.inventory.choices.AnnexIIIArea",
    }
)

# --- findings ---
# Evidence files attached to findings: largest accepted size, and the media types allowed.
FINDINGS_EVIDENCE_MAX_BYTES = env_int("FINDINGS_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024, minimum=1)
FINDINGS_EVIDENCE_TYPES = env_list(
    "FINDINGS_EVIDENCE_TYPES",
    [
        "application/pdf",
        "text/plain",
        "text/csv",
        "image/png",
        "image/jpeg",
        "application/json",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
)
# The risk appetite: a risk-register entry whose residual score exceeds this raises a
# finding. The default (14) matches the register's executive acceptance, needed from 15 up.
FINDINGS_RISK_APPETITE = env_int("FINDINGS_RISK_APPETITE", 14, minimum=1)
CELERY_BEAT_SCHEDULE["findings-expire-acceptances-hourly"] = {
    "task": "findings.expire_acceptances",
    "schedule": 3600.0,
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "FindingSeverityEnum": "governance.findings.choices.Severity",
        "FindingStateEnum": "governance.findings.choices.FindingState",
        "FindingSourceKindEnum": "governance.findings.choices.SourceKind",
    }
)

# --- risk ---
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "RiskTierEnum": "governance.risk.tiers.Tier",
        "EUClassEnum": "governance.risk.tiers.EUClass",
        "ImpactLevelEnum": "governance.risk.tiers.IMPACT_LEVEL_CHOICES",
        "RiskAssessmentStatusEnum": "governance.risk.models.AssessmentStatus",
        "RiskStatusEnum": "governance.risk.models.RiskStatus",
        "MethodologyKindEnum": "governance.risk.models.MethodologyKind",
        # Approval policies use the tiers below "blocked"; naming that set keeps it apart
        # from the risk tiers above in the schema.
        "PolicyTierEnum": "governance.approvals.models.POLICY_TIERS",
    }
)

# --- obligations ---
# Evidence documents: largest accepted size and the media types allowed (as for findings).
OBLIGATIONS_EVIDENCE_MAX_BYTES = env_int(
    "OBLIGATIONS_EVIDENCE_MAX_BYTES", FINDINGS_EVIDENCE_MAX_BYTES, minimum=1
)
OBLIGATIONS_EVIDENCE_TYPES = env_list("OBLIGATIONS_EVIDENCE_TYPES", FINDINGS_EVIDENCE_TYPES)
# The daily sweep turns missing, in-force requirements into findings for deployments of these
# risk tiers (empty: no sweep; the action on the Obligations tab still works), at this severity.
OBLIGATIONS_GAP_SWEEP_TIERS = env_list("OBLIGATIONS_GAP_SWEEP_TIERS", ["III", "IV"])
# ... and only for these frameworks: the binding laws by default. A voluntary standard's gaps
# (NIST AI RMF, ISO/IEC 42001) become findings when someone decides so on the tab.
OBLIGATIONS_GAP_SWEEP_FRAMEWORKS = env_list(
    "OBLIGATIONS_GAP_SWEEP_FRAMEWORKS", ["eu-ai-act", "nyc-ll144"]
)
OBLIGATIONS_GAP_SEVERITY = env_str("OBLIGATIONS_GAP_SEVERITY", "medium")
# How long an assertion counts when its requirement names no validity of its own.
OBLIGATIONS_ASSERTION_VALIDITY_DAYS = env_int("OBLIGATIONS_ASSERTION_VALIDITY_DAYS", 365, minimum=1)
# Statuses are kept current on every change; the daily run catches what time alone changes
# (an audit growing old, a document's validity ending); the hourly one ends expired assertions.
CELERY_BEAT_SCHEDULE["obligations-refresh-daily"] = {
    "task": "obligations.refresh_all",
    "schedule": 86400.0,
}
CELERY_BEAT_SCHEDULE["obligations-assertions-expire-hourly"] = {
    "task": "obligations.expire_assertions",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["obligations-gap-sweep-daily"] = {
    "task": "obligations.gap_sweep",
    "schedule": 86400.0,
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(  # type: ignore[attr-defined]
    {
        "ObligationStatusEnum": "governance.obligations.choices.ObligationStatus",
        "AssertionVerdictEnum": "governance.obligations.choices.AssertionVerdict",
        "DocumentKindEnum": "governance.obligations.choices.DocumentKind",
    }
)

# --- Logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"refusals": {"()": "governance.core.logfilters.RefusalsAsOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}, "django.request": {"filters": ["refusals"]}},
}
# Refuse to append a ledger event whose kind has no registered sentence (governance/ledger/
# describe.py). Off in production, where an unnamed event is still better than a lost one;
# the test suite turns it on so that every event the code emits proves it reads as a sentence.
LEDGER_REQUIRE_KNOWN_ACTIONS = env_bool("LEDGER_REQUIRE_KNOWN_ACTIONS", default=False)

# --- sign-in through the organisation's OpenID Connect provider (docs/identity.md) ---
# Set OIDC_ISSUER to switch it on; the endpoints and keys are discovered from the issuer's
# /.well-known/openid-configuration (governance/accounts/sso/provider.py).
OIDC_ISSUER = env_str("OIDC_ISSUER").strip()
OIDC_ENABLED = bool(OIDC_ISSUER)
OIDC_RP_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_RP_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env_str("OIDC_SIGN_ALGO", "RS256")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "your organisation's account")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
# A signature by a person who signs in through the provider needs an ID token whose
# auth_time is at most this old (the provider is asked for prompt=login and max_age=0).
OIDC_SIGNATURE_MAX_AGE_SECONDS = env_int("OIDC_SIGNATURE_MAX_AGE_SECONDS", 300, minimum=1)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT_SECONDS", 10, minimum=1)
# Authorization code flow with PKCE (S256), a nonce and a state per attempt.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_AUTHENTICATION_CALLBACK_URL = "sso:callback"
# Password sign-in on the login page (and the Django admin's); switch it off once everyone
# signs in through the provider.
LOCAL_LOGIN_ENABLED = env_bool("LOCAL_LOGIN_ENABLED", default=True)
if not LOCAL_LOGIN_ENABLED and not OIDC_ENABLED:
    raise ImproperlyConfigured("LOCAL_LOGIN_ENABLED=false needs OIDC_ISSUER: nobody could sign in.")
if OIDC_ENABLED:
    if not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
        raise ImproperlyConfigured("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too.")
    if PRODUCTION and not OIDC_ISSUER.startswith("https://"):
        raise ImproperlyConfigured(f"OIDC_ISSUER must be an https:// URL, got {OIDC_ISSUER!r}")
    # Signing under the provider posts a form whose answer is a redirect to the provider.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        "/".join(OIDC_ISSUER.split("/")[:3])
    )
if not LOCAL_LOGIN_ENABLED:
    AUTHENTICATION_BACKENDS.remove("django.contrib.auth.backends.ModelBackend")
# Signs in only people the sign-in callback verified; otherwise it answers nobody.
AUTHENTICATION_BACKENDS.append("governance.accounts.sso.backend.SsoBackend")
INSTALLED_APPS.append("governance.accounts.sso")
