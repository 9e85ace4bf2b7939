"""Application settings: one `Settings` object read from the environment and `.env`."""

from __future__ import annotations

import json
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AnyUrl,
    BeforeValidator,
    EmailStr,
    Field,
    HttpUrl,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BACKEND_DIR = Path(__file__).resolve().parents[2]

# The default secret is recognisable so that production can refuse it, and long
# enough for HS256 (PyJWT warns about keys under 32 bytes) so local runs are quiet.
DEFAULT_SECRET_KEY = "changethis-local-development-key-never-for-production"  # noqa: S105
# What templates and examples put in secret fields; never accepted in production.
PLACEHOLDER_SECRET = "changethis"  # noqa: S105


def is_placeholder_secret(value: str) -> bool:
    return value in {DEFAULT_SECRET_KEY, PLACEHOLDER_SECRET}


class Environment(StrEnum):
    LOCAL = "local"
    TEST = "test"
    PRODUCTION = "production"


def _split_csv(value: Any) -> Any:
    """Accept `a,b` as well as a JSON list (`["a", "b"]`) for list settings."""
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=(BACKEND_DIR.parent / ".env", BACKEND_DIR / ".env"),
        env_ignore_empty=True,
        extra="ignore",
    )

    PROJECT_NAME: str = "Socia"
    ENVIRONMENT: Environment = Environment.LOCAL
    API_V1_STR: str = "/api/v1"
    LOG_LEVEL: str = "INFO"

    # Security
    SECRET_KEY: SecretStr = SecretStr(DEFAULT_SECRET_KEY)
    # Older keys still accepted when verifying tokens, newest first (key rotation).
    PREVIOUS_SECRET_KEYS: Annotated[list[SecretStr], NoDecode, BeforeValidator(_split_csv)] = []
    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(default=15, ge=1, le=24 * 60)
    REFRESH_TOKEN_EXPIRE_DAYS: int = Field(default=30, ge=1, le=365)

    # HTTP
    BACKEND_CORS_ORIGINS: Annotated[list[str], NoDecode, BeforeValidator(_split_csv)] = [
        "http://localhost",
        "http://localhost:5173",
    ]
    # The staff dashboard, once it exists: emailed links open its pages. Unset, they
    # open the backend's own pages at PUBLIC_BASE_URL (see core/links.py).
    FRONTEND_HOST: HttpUrl | None = None
    PUBLIC_BASE_URL: HttpUrl = HttpUrl("http://localhost:8000")
    TRUSTED_PROXY_HOPS: int = Field(default=0, ge=0, le=5)

    # Database: a server when DATABASE_URL is set, otherwise an embedded PostgreSQL.
    DATABASE_URL: str | None = None
    EMBEDDED_PG_DIR: Path = BACKEND_DIR / ".data" / "postgres"
    EMBEDDED_PG_DATABASE: str = "socia"
    DB_POOL_SIZE: int = Field(default=20, ge=1, le=200)
    DB_MAX_OVERFLOW: int = Field(default=10, ge=0, le=200)
    DB_POOL_TIMEOUT: float = Field(default=30.0, gt=0)
    # Worker threads for sync endpoints; kept above the connection limit (see core/db.py).
    THREADPOOL_SIZE: int = Field(default=48, ge=4, le=1000)
    DB_STATEMENT_TIMEOUT_MS: int = Field(default=15_000, ge=0)

    # Connection budget (ops): what one `socia serve` may open in all, across its
    # worker processes; it derives its workers and each one's pool from this unless
    # --workers, DB_POOL_SIZE or DB_MAX_OVERFLOW are given (see core/db.py plan_server).
    DB_CONNECTION_BUDGET: int = Field(default=60, ge=1, le=10_000)

    # Cache and rate limits: Redis when set, memory otherwise.
    REDIS_URL: str | None = None
    RATE_LIMIT_ENABLED: bool = True
    # Prefix of the counters' keys in Redis: deployments (or parallel test workers)
    # sharing one Redis keep apart by choosing different prefixes.
    RATE_LIMIT_KEY_PREFIX: str = Field(default="socia-limits", min_length=1, max_length=64)
    # Limits in the `limits` notation ("5/hour", "10 per 15 minutes").
    OTP_REQUEST_LIMIT_PER_PHONE: str = "5/hour"
    OTP_REQUEST_LIMIT_PER_IP: str = "30/hour"
    OTP_VERIFY_LIMIT_PER_PHONE: str = "15/hour"
    OTP_VERIFY_LIMIT_PER_IP: str = "60/hour"
    LOGIN_LIMIT_PER_IP: str = "50/15minutes"
    EMAIL_LINK_LIMIT_PER_ADDRESS: str = "5/hour"
    EMAIL_LINK_LIMIT_PER_IP: str = "30/hour"
    REGISTER_LIMIT_PER_IP: str = "20/hour"
    POSTER_EVENTS_LIMIT_PER_IP: str = "120/minute"
    # Adding an email or a phone to one's account (each answer says whether the address
    # or number is taken, so this also caps how fast anyone can ask that).
    ATTACH_LIMIT_PER_USER: str = "10/hour"
    ATTACH_LIMIT_PER_IP: str = "30/hour"
    # Opening table codes (`/q/{token}`): far above a table of people, even behind one
    # carrier address, far below a script inflating a venue's scan counts.
    QR_SCAN_LIMIT_PER_IP: str = "60/minute"

    # --- Abuse limits: password guesses, poster counts, refresh retries --------------
    # Password sign-in guesses at one account from one client address (a right password
    # clears them). Refused (429) over the limit, for that address only.
    LOGIN_LIMIT_PER_ACCOUNT_AND_IP: str = "10/15minutes"
    # Guesses at one account from every address together. Over this ceiling the account
    # is never locked, only slowed: each address may then try it only
    # LOGIN_LIMIT_PER_ACCOUNT_AND_IP_OVER_CEILING, so the owner's right password from an
    # address that has not been guessing still signs in.
    LOGIN_CEILING_PER_ACCOUNT: str = "100/15minutes"
    LOGIN_LIMIT_PER_ACCOUNT_AND_IP_OVER_CEILING: str = "2/15minutes"
    # Poster impressions and taps counted per client address (more are accepted and
    # answered as `ignored`, never refused), and the window in which one client address
    # counts at most one impression and one tap per poster (0: no such window).
    POSTER_EVENTS_COUNTED_PER_IP: str = "600/hour"
    POSTER_EVENT_WINDOW_SECONDS: int = Field(default=60, ge=0, le=24 * 3600)
    # A refresh token presented again this soon after it was used (a client that sent
    # the same refresh twice) gets the same new pair; later, it ends the session.
    REFRESH_REUSE_GRACE_SECONDS: int = Field(default=30, ge=0, le=300)

    # One-time sign-in codes and emailed links.
    OTP_LENGTH: int = Field(default=6, ge=4, le=10)
    OTP_EXPIRE_SECONDS: int = Field(default=300, ge=30, le=3600)
    OTP_MAX_ATTEMPTS: int = Field(default=5, ge=1, le=20)
    OTP_RESEND_SECONDS: int = Field(default=30, ge=0, le=600)
    EMAIL_VERIFY_EXPIRE_HOURS: int = Field(default=48, ge=1, le=24 * 14)
    PASSWORD_RESET_EXPIRE_MINUTES: int = Field(default=30, ge=5, le=24 * 60)

    # First platform admin, created by `socia migrate`/`socia dev` when both are set.
    FIRST_SUPERUSER: EmailStr | None = None
    FIRST_SUPERUSER_PASSWORD: SecretStr | None = None

    # SMS: "console" writes messages to the log (refused in production); "msg91" posts
    # to an HTTP gateway.
    SMS_PROVIDER: Literal["console", "msg91"] = "console"
    SMS_GATEWAY_URL: HttpUrl = HttpUrl("https://control.msg91.com/api/v5/flow/")
    SMS_GATEWAY_AUTH_KEY: SecretStr | None = None
    SMS_SENDER_ID: str = "SOCIAA"
    SMS_TEMPLATE_ID: str | None = None
    SMS_TIMEOUT_SECONDS: float = 5.0

    # Email: "console" logs messages (refused in production), "smtp" sends them.
    EMAIL_BACKEND: Literal["console", "smtp"] = "console"
    SMTP_HOST: str | None = None
    SMTP_PORT: int = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: SecretStr | None = None
    SMTP_TLS: bool = True
    SMTP_SSL: bool = False
    EMAILS_FROM_EMAIL: EmailStr = "noreply@socia.app"
    EMAILS_FROM_NAME: str = "Socia"

    # App links used by QR landing pages.
    APP_DEEP_LINK_SCHEME: str = "socia"
    APP_STORE_URL: HttpUrl = HttpUrl("https://apps.apple.com/app/socia")
    PLAY_STORE_URL: HttpUrl = HttpUrl("https://play.google.com/store/apps/details?id=app.socia")
    WEB_MENU_BASE_URL: HttpUrl = HttpUrl("https://socia.app/menu")

    # The door: tickets are let in from this many minutes before an event starts
    # until it ends (exits are recorded at any time).
    DOOR_OPENS_MINUTES_BEFORE: int = Field(default=60, ge=0, le=24 * 60)

    # Error reporting.
    SENTRY_DSN: AnyUrl | None = None

    # Job queue (procrastinate on the same database): jobs one `socia worker` runs at
    # once (each may hold one connection of the worker's pool, plus two of its own),
    # and whether `socia dev` runs a worker beside the API.
    JOB_WORKER_CONCURRENCY: int = Field(default=2, ge=1, le=32)
    DEV_RUNS_WORKER: bool = True

    # Money-moving writes (`Idempotency-Key`): how long a key's first answer is kept
    # and replayed; after that the key may be used again (the hourly job deletes it).
    IDEMPOTENCY_KEY_TTL_HOURS: int = Field(default=24, ge=1, le=24 * 30)
    # --- Payments and bookings ---
    # "test": a built-in gateway with its own checkout page (refused in production);
    # "razorpay": the Razorpay Orders API with RAZORPAY_KEY_ID, _KEY_SECRET, _WEBHOOK_SECRET.
    PAYMENT_PROVIDER: Literal["test", "razorpay"] = "test"
    RAZORPAY_KEY_ID: str | None = None
    RAZORPAY_KEY_SECRET: SecretStr | None = None
    RAZORPAY_WEBHOOK_SECRET: SecretStr | None = None
    RAZORPAY_API_BASE_URL: HttpUrl = HttpUrl("https://api.razorpay.com/v1")
    PAYMENT_GATEWAY_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=60)
    # A payment still created, authorized or failed this long after it was made is looked up
    # at the gateway by the reconcile job (a lost webhook, a closed browser).
    PAYMENT_RECONCILE_AFTER_SECONDS: int = Field(default=300, ge=10, le=24 * 3600)
    # Places of a new booking are held this long while the consumer pays.
    BOOKING_HOLD_MINUTES: int = Field(default=10, ge=1, le=120)
    # Unpaid bookings one consumer may hold at once for one event (so nobody can hold
    # a whole night by booking again and again without paying).
    BOOKING_MAX_UNPAID_PER_EVENT: int = Field(default=2, ge=1, le=20)
    # A pending share of a pay-at-the-end bill counts towards the bill this long while
    # its payer pays (then it expires and its amount is free for others to pay).
    BILL_SHARE_HOLD_MINUTES: int = Field(default=10, ge=1, le=120)
    # --- Orders and table sessions ---
    # An order on a table session needs a scan (join) of the table's code this recent.
    ORDER_SESSION_JOIN_HOURS: int = Field(default=4, ge=1, le=48)
    # When the app sends its position, an order (or a join) needs it this close to the venue.
    ORDER_MAX_DISTANCE_METRES: int = Field(default=300, ge=10, le=100_000)
    # A prepaid order not paid within this many minutes is abandoned (the expiry job).
    ORDER_PAYMENT_MINUTES: int = Field(default=15, ge=1, le=120)
    # Prepaid orders one consumer may have waiting for payment at once (each one made a
    # gateway order): more is a 409 until one is paid or abandoned.
    ORDER_MAX_UNPAID: int = Field(default=3, ge=1, le=50)

    # --- Groups and group wallets ---
    # People in one group at most (its admin included).
    GROUP_MAX_MEMBERS: int = Field(default=20, ge=2, le=500)
    # An invitation link works this long unless its maker says less, for at most
    # GROUP_MAX_MEMBERS people.
    GROUP_INVITE_HOURS: int = Field(default=48, ge=1, le=24 * 30)
    # Stored-value caps (a group wallet is a small prepaid instrument: Indian rules cap
    # what one may hold and take in). The most a wallet may hold, and the most one top-up
    # may add, in minor units of the wallet's currency (paise: 10,000 and 5,000 rupees).
    # A top-up captured when it no longer fits is refunded in full.
    WALLET_MAX_BALANCE_MINOR: int = Field(default=1_000_000, ge=100, le=100_000_000)
    WALLET_MAX_TOP_UP_MINOR: int = Field(default=500_000, ge=100, le=100_000_000)
    # A spend above the admin's approval amount waits this long for them (holding the
    # amount), then expires and gives it back.
    WALLET_APPROVAL_MINUTES: int = Field(default=15, ge=1, le=24 * 60)

    # --- Live updates and push notifications ---
    # A stream token (POST /api/v1/live/tokens) opens its stream for this long; the
    # stream itself then runs until LIVE_STREAM_MAX_SECONDS (the client fetches a new
    # token and reconnects with its Last-Event-ID).
    LIVE_TOKEN_TTL_SECONDS: int = Field(default=60, ge=5, le=3600)
    LIVE_STREAM_MAX_SECONDS: float = Field(default=3600, ge=0, le=24 * 3600)
    # An open stream checks again this often that its user may still follow it (a
    # role taken away, an account closed, every session signed out): it ends at once
    # with an `end` event when not.
    LIVE_RECHECK_SECONDS: float = Field(default=30.0, gt=0, le=3600)
    # A comment line on every idle stream this often (proxies and browsers keep it open).
    LIVE_HEARTBEAT_SECONDS: float = Field(default=15.0, gt=0, le=300)
    # Events a slow stream may have waiting before it is closed (it resumes from the log).
    LIVE_STREAM_BUFFER: int = Field(default=1000, ge=10, le=100_000)
    # Whether the app opens its LISTEN connection at startup (otherwise with its first
    # stream); one per worker process, outside the pool.
    LIVE_LISTEN_AT_STARTUP: bool = True
    # Hours the live event log keeps events (a stream resumes at most this far back).
    LIVE_EVENT_RETENTION_HOURS: int = Field(default=48, ge=1, le=24 * 90)
    # "console" writes push notifications to the log (allowed in production, with a
    # warning at startup: the live streams carry the same news); "fcm" sends them with
    # Firebase Cloud Messaging (HTTP v1) as the service account below.
    PUSH_PROVIDER: Literal["console", "fcm"] = "console"
    FCM_PROJECT_ID: str | None = None
    FCM_CLIENT_EMAIL: str | None = None
    FCM_PRIVATE_KEY: SecretStr | None = None
    FCM_TOKEN_URI: HttpUrl = HttpUrl("https://oauth2.googleapis.com/token")
    FCM_API_BASE_URL: HttpUrl = HttpUrl("https://fcm.googleapis.com")
    FCM_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0, le=60)

    # --- Request size (bad input) ---
    # A request body above this many bytes gets a 413 before it is parsed.
    MAX_REQUEST_BODY_BYTES: int = Field(default=1024 * 1024, ge=1024)
    # The whole-menu import (up to 2,000 items with descriptions) may send this much.
    MAX_MENU_IMPORT_BODY_BYTES: int = Field(default=4 * 1024 * 1024, ge=1024)

    @field_validator(
        "OTP_REQUEST_LIMIT_PER_PHONE",
        "OTP_REQUEST_LIMIT_PER_IP",
        "OTP_VERIFY_LIMIT_PER_PHONE",
        "OTP_VERIFY_LIMIT_PER_IP",
        "LOGIN_LIMIT_PER_IP",
        "EMAIL_LINK_LIMIT_PER_ADDRESS",
        "EMAIL_LINK_LIMIT_PER_IP",
        "REGISTER_LIMIT_PER_IP",
        "POSTER_EVENTS_LIMIT_PER_IP",
        "QR_SCAN_LIMIT_PER_IP",
        "ATTACH_LIMIT_PER_USER",
        "ATTACH_LIMIT_PER_IP",
    )
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit like '5/hour': {value!r}") from exc
        return value

    @field_validator(
        "LOGIN_LIMIT_PER_ACCOUNT_AND_IP",
        "LOGIN_CEILING_PER_ACCOUNT",
        "LOGIN_LIMIT_PER_ACCOUNT_AND_IP_OVER_CEILING",
        "POSTER_EVENTS_COUNTED_PER_IP",
    )
    @classmethod
    def _check_abuse_limit(cls, value: str) -> str:
        return cls._check_rate_limit(value)

    @property
    def is_production(self) -> bool:
        return self.ENVIRONMENT == Environment.PRODUCTION

    @property
    def uses_embedded_database(self) -> bool:
        return self.DATABASE_URL is None

    @property
    def verification_keys(self) -> list[str]:
        """Signing key first, then the previous keys still accepted for verification."""
        keys = [self.SECRET_KEY.get_secret_value()]
        keys.extend(k.get_secret_value() for k in self.PREVIOUS_SECRET_KEYS)
        return keys

    @model_validator(mode="after")
    def _check_production(self) -> Self:
        if self.DB_MAX_OVERFLOW + self.DB_POOL_SIZE >= self.THREADPOOL_SIZE:
            raise ValueError(
                "THREADPOOL_SIZE must be larger than DB_POOL_SIZE + DB_MAX_OVERFLOW, "
                "so that every request holding a connection can always get a thread"
            )
        if self.PUSH_PROVIDER == "fcm" and (
            not self.FCM_PROJECT_ID
            or not self.FCM_CLIENT_EMAIL
            or self.FCM_PRIVATE_KEY is None
            or not self.FCM_PRIVATE_KEY.get_secret_value()
        ):
            raise ValueError(
                "PUSH_PROVIDER=fcm needs FCM_PROJECT_ID, FCM_CLIENT_EMAIL and FCM_PRIVATE_KEY "
                "(from the Firebase service account's JSON key)"
            )
        if not self.is_production:
            return self
        secret = self.SECRET_KEY.get_secret_value()
        if is_placeholder_secret(secret) or len(secret) < 32:
            raise ValueError(
                "SECRET_KEY must be set to a random value of at least 32 characters in "
                f"production; generate one with: python -c 'import secrets; "
                f"print(secrets.token_urlsafe(32))'  (example: {secrets.token_urlsafe(8)}...)"
            )
        if "*" in self.BACKEND_CORS_ORIGINS:
            raise ValueError("BACKEND_CORS_ORIGINS may not contain '*' in production")
        if self.DATABASE_URL is None:
            raise ValueError("DATABASE_URL must point at a PostgreSQL server in production")
        if self.FIRST_SUPERUSER_PASSWORD is not None and (
            is_placeholder_secret(self.FIRST_SUPERUSER_PASSWORD.get_secret_value())
        ):
            raise ValueError("FIRST_SUPERUSER_PASSWORD may not be 'changethis' in production")
        if self.SMS_PROVIDER == "console":
            raise ValueError(
                "SMS_PROVIDER=console only writes sign-in codes to the log; set "
                "SMS_PROVIDER=msg91 and SMS_GATEWAY_AUTH_KEY in production"
            )
        if self.SMS_GATEWAY_AUTH_KEY is None or not self.SMS_GATEWAY_AUTH_KEY.get_secret_value():
            raise ValueError("SMS_GATEWAY_AUTH_KEY must be set in production")
        if self.EMAIL_BACKEND == "console" or not self.SMTP_HOST:
            raise ValueError(
                "EMAIL_BACKEND=console only writes emails to the log; set EMAIL_BACKEND=smtp "
                "and SMTP_HOST in production"
            )
        if not self.REDIS_URL:
            raise ValueError(
                "REDIS_URL must be set in production, so that every worker process shares "
                "the same rate limits"
            )
        if self.PAYMENT_PROVIDER == "test":
            raise ValueError(
                "PAYMENT_PROVIDER=test takes no money (its checkout page has a Pay button); "
                "set PAYMENT_PROVIDER=razorpay with RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET and "
                "RAZORPAY_WEBHOOK_SECRET in production"
            )
        if (
            not self.RAZORPAY_KEY_ID
            or not self.RAZORPAY_KEY_SECRET
            or not self.RAZORPAY_KEY_SECRET.get_secret_value()
            or not self.RAZORPAY_WEBHOOK_SECRET
            or not self.RAZORPAY_WEBHOOK_SECRET.get_secret_value()
        ):
            raise ValueError(
                "RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET and RAZORPAY_WEBHOOK_SECRET must be set "
                "in production"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()


settings = get_settings()
