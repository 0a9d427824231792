"""Settings for Image Repo, read once from the environment (and .env).

Every variable is documented in .env.example and the README.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from .env import (
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    generated_secret_key,
)
from .s3 import s3_storage_options

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")

DATA_DIR = Path(env_str("IMG_REPO_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)
# Cookies only over HTTPS: off only where the site is reached over plain HTTP
# (`make run` on 127.0.0.1 turns it off there).
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)


def _secret_key() -> str:
    key = env_str("IMG_REPO_SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("IMG_REPO_SECRET_KEY is required when DEBUG is off.")
    # A development key, generated once and kept so sessions survive restarts.
    return generated_secret_key(DATA_DIR / "dev-secret-key")


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", "http://localhost,http://127.0.0.1"
)

INSTALLED_APPS = [
    "image_repo_project.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "storages",
    "csp",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "accounts",
    "gallery",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.SecurityHeadersMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Before anything reads the body (CSRF, axes): an oversized one stays unread.
    "image_repo_project.middleware.RequestSizeLimitMiddleware",
    "image_repo_project.middleware.QueryStringMiddleware",
    "image_repo_project.middleware.AdminLookupErrorMiddleware",
    # Last, so that it turns a lockout flagged during the login into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "image_repo_project.urls"
CSRF_FAILURE_VIEW = "image_repo_project.errors.csrf_failure"
WSGI_APPLICATION = "image_repo_project.wsgi.application"

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

# Database: DATABASE_URL, else the embedded PostgreSQL (pgserver) in the data dir,
# reached over its Unix socket. manage.py and the tests start it when needed.
DATABASE_URL = env_str("DATABASE_URL")
EMBEDDED_PG_DIR = None if DATABASE_URL else DATA_DIR / "pg"
if DATABASE_URL:
    try:
        _database = dj_database_url.parse(DATABASE_URL, conn_max_age=60)
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {error}") from None
    if not _database.get("PASSWORD") and env_str("POSTGRES_PASSWORD"):
        _database["PASSWORD"] = env_str("POSTGRES_PASSWORD")
else:
    _database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": str(EMBEDDED_PG_DIR),
        "CONN_MAX_AGE": 60,
    }
_database["CONN_HEALTH_CHECKS"] = True
# A database that does not answer fails the request in seconds (a 503 page),
# instead of holding a web worker for the system's TCP timeout.
_database.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "gallery:list"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Storage: a private S3 bucket when AWS_STORAGE_BUCKET_NAME is set, otherwise
# private local files served only through signed, expiring URLs.
IMAGE_URL_MAX_AGE = 30 * 60
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL")
MEDIA_ROOT = DATA_DIR / "media"
# Seconds for each storage call to connect and to read, and tries in all.
GALLERY_STORAGE_TIMEOUT = env_float("GALLERY_STORAGE_TIMEOUT", 5.0, minimum=0.1)
GALLERY_STORAGE_ATTEMPTS = env_int("GALLERY_STORAGE_ATTEMPTS", 2, minimum=1)
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "gallery.storage.PrivateS3Storage",
        "OPTIONS": s3_storage_options(
            bucket_name=AWS_STORAGE_BUCKET_NAME,
            access_key=env_str("AWS_ACCESS_KEY_ID") or None,
            secret_key=env_str("AWS_SECRET_ACCESS_KEY") or None,
            region_name=env_str("AWS_S3_REGION_NAME") or None,
            endpoint_url=AWS_S3_ENDPOINT_URL or None,
            url_max_age=IMAGE_URL_MAX_AGE,
            timeout=GALLERY_STORAGE_TIMEOUT,
            attempts=GALLERY_STORAGE_ATTEMPTS,
        ),
    }
else:
    _default_storage = {
        "BACKEND": "gallery.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Uploads and analysis.
GALLERY_UPLOAD_LIMIT = env_int("GALLERY_UPLOAD_LIMIT", 5)
GALLERY_MAX_UPLOAD_MB = env_int("GALLERY_MAX_UPLOAD_MB", 25, minimum=1)
GALLERY_MAX_PIXELS = env_int("GALLERY_MAX_PIXELS", 50_000_000, minimum=1)
# Memory that decoding one upload may need (pixels × bytes per pixel, every
# frame): bounds the work of a file that is small on disk but huge decoded.
GALLERY_MAX_DECODE_MB = env_int("GALLERY_MAX_DECODE_MB", 256, minimum=1)
# Files in one upload request, and the whole request body: checked before a
# byte of an image is read.
GALLERY_MAX_FILES_PER_REQUEST = env_int("GALLERY_MAX_FILES_PER_REQUEST", 20, minimum=1)
GALLERY_MAX_REQUEST_MB = env_int("GALLERY_MAX_REQUEST_MB", 100, minimum=1)
# Seconds one upload request spends on its files; the files it has not reached
# by then are answered "send it again" without being read.
GALLERY_UPLOAD_REQUEST_SECONDS = env_int(
    "GALLERY_UPLOAD_REQUEST_SECONDS", 15, minimum=1
)
GALLERY_PAGE_SIZE = 24
# Days a deleted image waits in the trash before `manage.py purge_trash`
# deletes it for good; 0: no trash, deleting is at once.
GALLERY_TRASH_DAYS = env_int("GALLERY_TRASH_DAYS", 30, minimum=0)
GALLERY_ANALYZER = env_choice(
    "GALLERY_ANALYZER", "auto", ("auto", "azure", "local", "none"), allow_path=True
)
GALLERY_MODEL_DIR = DATA_DIR / "models"
# Model files fetched from the npm registry at set-up (gallery.analysis.local.packages).
GALLERY_PACKAGE_DIR = DATA_DIR / "packages"
AZURE_CV_KEY = env_str("AZURE_CV_KEY")
AZURE_CV_ENDPOINT = env_str("AZURE_CV_ENDPOINT")
AZURE_CV_TIMEOUT = env_float("AZURE_CV_TIMEOUT", 15.0, minimum=0.1)
AZURE_CV_MAX_RETRIES = env_int("AZURE_CV_MAX_RETRIES", 3)
if GALLERY_ANALYZER == "azure" and not (AZURE_CV_KEY and AZURE_CV_ENDPOINT):
    raise ImproperlyConfigured(
        "GALLERY_ANALYZER=azure needs AZURE_CV_KEY and AZURE_CV_ENDPOINT."
    )

# Django streams uploads above this size to a temporary file instead of
# memory: a phone photo (2–5 MB) never sits whole in a worker's memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Form fields other than files; files are bounded by GALLERY_MAX_REQUEST_MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = GALLERY_MAX_FILES_PER_REQUEST

# Renditions and analysis: "worker" runs them after the response, on the
# background worker (`manage.py process_images`, or Celery when a broker is
# set); "request" runs them inside the upload request, as the original app did.
GALLERY_PROCESSING = env_choice("GALLERY_PROCESSING", "worker", ("worker", "request"))
# The CPU priority of each background worker process, so that on shared cores
# uploads are answered first and the backlog waits: "idle" runs it only on CPU
# time nothing else wants (Linux SCHED_IDLE), "low" lowers its nice value by
# 10, "normal" leaves it (services.processing.worker_priority_lower).
GALLERY_WORKER_PRIORITY = env_choice(
    "GALLERY_WORKER_PRIORITY", "idle", ("idle", "low", "normal")
)

# Celery: the background work goes to Celery workers when a broker is set.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Accounts (django-allauth): username sign-up with an optional email address,
# password reset by email, TOTP two-factor with recovery codes, and sign-in
# with an OpenID Connect provider when one is configured.
SITE_NAME = "Image Repo"
AUTHENTICATION_BACKENDS = [
    # First: refuses every attempt while an account+address pair is locked out.
    "axes.backends.AxesStandaloneBackend",
    # Runs the password hasher for unknown usernames too, so both answers
    # take the same time.
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = None  # Django's own reset tokens
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # never mail addresses with no account
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Image Repo] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SECURE_COOKIES else "http"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never join accounts by email alone
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_LOGIN_ON_GET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# Operators can require a second factor before staff reach the admin.
ACCOUNTS_STAFF_REQUIRE_2FA = env_bool("ACCOUNTS_STAFF_REQUIRE_2FA", False)

# OpenID Connect: one provider, configured from the environment.
OIDC_ISSUER_URL = env_str("OIDC_ISSUER_URL")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
if OIDC_ISSUER_URL and not OIDC_CLIENT_ID:
    raise ImproperlyConfigured("OIDC_ISSUER_URL is set: OIDC_CLIENT_ID is required.")
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "oidc",
                "name": OIDC_PROVIDER_NAME,
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {"server_url": OIDC_ISSUER_URL},
            }
        ]
        if OIDC_ISSUER_URL
        else [],
    }
}

# Client addresses: REMOTE_ADDR, unless the operator says how many proxies in
# front of the app append to X-Forwarded-For (a header anyone can send).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Login throttling (django-axes): failures are counted per account and client
# address together, so one account's failures lock out neither other people
# behind the same address nor the account's owner elsewhere.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts still log

# Sign-up and password-reset requests per client address: off unless set, in
# allauth's rate syntax ("5/h" = five an hour). Failed passwords are axes' job
# (accounts.adapters); "login_failed" counts wrong two-factor codes only.
ACCOUNT_RATE_LIMITS = {
    "signup": env_rate("ACCOUNTS_SIGNUP_RATE"),
    "reset_password": env_rate("ACCOUNTS_PASSWORD_RESET_RATE"),
    "login": False,
    "login_failed": "10/m/ip,5/300s/key",
}
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL and not CACHE_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("CACHE_URL must be a redis:// URL.")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Email: EMAIL_URL (smtp://user:pass@host:587/?tls=True), else the EMAIL_*
# variables, else the console (mail is printed where `make run` runs).
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Image Repo <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_URL = env_str("EMAIL_URL")
if EMAIL_URL:
    try:
        globals().update(dj_email_url.parse(EMAIL_URL))
    except (KeyError, ValueError) as error:
        raise ImproperlyConfigured(f"EMAIL_URL is malformed: {error}") from None
elif env_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = 10


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Headers on every response (django-csp 4 and accounts.middleware): nothing
# inline, nothing from elsewhere, never inside a frame. Image URLs may point
# at the S3 endpoint (presigned).
_image_sources = [SELF, "data:"]
if AWS_STORAGE_BUCKET_NAME:
    _image_sources.append(AWS_S3_ENDPOINT_URL or "https://*.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": _image_sources,
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        # The OpenID Connect sign-in form redirects to the provider.
        "form-action": [SELF, *([_origin(OIDC_ISSUER_URL)] if OIDC_ISSUER_URL else [])],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"
)

# Security. Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
    },
}
