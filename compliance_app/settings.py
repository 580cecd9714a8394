"""Settings read from the environment, in one place, so every process agrees.

Defaults make a one-machine trial work with nothing configured: an embedded SQLite
file under data/, and keys generated on the first start into DATA_DIR (services/keys.py).
No secret has a default value here.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'compliance.db'}"


class Settings(BaseSettings):
    """Every knob of the product; each field maps to the upper-case environment variable."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    database_url: str = Field(DEFAULT_SQLITE_URL, description="SQLAlchemy URL; postgresql+psycopg://… in production")
    secret_key: str = Field(
        "",
        description="Master secret (at least 32 characters) from which each purpose's key is derived; "
        "empty on one machine: generated into DATA_DIR/secret_key on the first start",
    )
    encryption_keys: str = Field(
        "",
        description="Comma-separated Fernet keys, newest first, for integration secrets (key rotation); "
        "the key derived from SECRET_KEY always comes last",
    )
    signing_key: str = Field(
        "",
        description="Ed25519 key snapshots are signed with (base64 of the 32-byte private key, or PEM); "
        "empty on one machine: generated into DATA_DIR/signing_key on first use",
    )
    port: int = Field(3000, description="Port `make run` (compliance_app serve) listens on")
    bind_address: str = Field(
        "127.0.0.1",
        description="Address the web app listens on: loopback on one machine; 0.0.0.0 (or the machine's "
        "private address) when a load balancer on another machine forwards to it",
    )
    app_url: str = Field(
        "", description="Public base URL used in links; empty means http://localhost:{PORT} (this machine)"
    )
    redis_url: str | None = Field(None, description="Shares Reflex state between web processes")
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Private files (evidence uploads)")
    session_days: int = Field(14, description="Lifetime of a login session")
    session_idle_hours: int = Field(12, ge=1, description="A login session unused for this long ends")
    trusted_proxies: str = Field(
        "",
        description="Comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed "
        "(e.g. 10.0.0.0/8); empty: the connecting address is the client",
    )
    upload_max_bytes: int = Field(10 * 1024 * 1024, description="Largest evidence file accepted")
    api_rate_limit: int = Field(120, ge=1, description="Requests a minute one API token may make (/api/v1)")
    #: Most of a running check waits on a collector other checks share, or on its provider's bounded
    #: request pool (AWS_POOL_SIZE, GITHUB_POOL_SIZE), which is what limits the calls in flight. With 8
    #: slots, checks waiting on the S3 bucket reads held them while the IAM access-key checks, a chain
    #: of dependent calls, queued behind them and ended the scan alone (bench scan_latency: 9.86 s with
    #: 8, 9.45 s with 16, medians of 3 rounds at 50 ms per request on an idle 2-core machine).
    check_concurrency: int = Field(16, ge=1, description="Checks of one integration run in parallel within "
                                   "one audit")
    aws_pool_size: int = Field(32, ge=1, le=256, description="Per-resource AWS calls one scan makes at a time")
    github_pool_size: int = Field(
        8, ge=1, le=8, description="Per-repository GitHub calls one scan makes at a time (GitHub's secondary "
        "rate limits punish bursts: at most 8)"
    )
    aws_max_attempts: int = Field(5, ge=1, le=20, description="Attempts of one AWS call that is throttled or "
                                  "answered with a server error (5xx) before it becomes ERROR")
    aws_retry_backoff: float = Field(1.0, ge=0, le=10, description="Multiplies botocore's wait between AWS "
                                     "attempts (jittered, doubling: 1 s base when throttled, 50 ms otherwise)")
    github_max_attempts: int = Field(3, ge=1, le=20, description="Attempts of one GitHub request answered "
                                     "with a server error (5xx) or timing out before it becomes ERROR")
    github_retry_backoff: float = Field(1.0, ge=0, le=60, description="Seconds before the first GitHub retry "
                                        "(doubling each time)")
    worker_poll_seconds: float = Field(2.0, description="How often an idle worker looks for audits")
    audit_lease_seconds: int = Field(120, description="A RUNNING audit whose lease lapses is re-queued")
    audit_max_attempts: int = Field(3, description="Attempts before a re-queued audit is failed")
    engine_override_module: str | None = Field(
        None,
        description="Tests/benchmarks only: module with CHECKS and open_sessions(org_id) used by the "
        "scan engine instead of the catalog and the stored integrations",
    )
    snapshot_retention_days: int = Field(90, description="Default retention of unpinned snapshots")
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_price_id: str | None = None
    secure_cookies: bool = Field(False, description="Mark cookies Secure (set behind https)")
    aws_use_host_credentials: bool = Field(
        False,
        description="AWS integrations with a role ARN but no access keys assume the role with the "
        "server's own credentials (boto3's default chain: env, profile, instance role)",
    )
    smtp_host: str = Field("", description="Mail server for notifications; empty: no email is sent")
    smtp_port: int = Field(587, ge=1, le=65535, description="Mail server port (587 STARTTLS, 465 TLS)")
    smtp_user: str = Field("", description="Mail server login; empty: no authentication")
    smtp_password: str = Field("", description="Mail server password (never logged or shown)")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (upgrade after connecting), tls (implicit, port 465) or none"
    )
    smtp_from: str = Field("", description="From address of notification emails")
    notification_max_attempts: int = Field(4, ge=1, le=20, description="Delivery attempts before a "
                                           "notification is marked failed")
    notification_retry_seconds: float = Field(30.0, ge=0, description="Wait before the first retry; "
                                              "doubles with each further attempt")
    oidc_issuer: str = Field(
        "", description="Single sign-on: the OpenID Connect issuer URL (its /.well-known/openid-configuration is "
        "read); empty: no single sign-on"
    )
    oidc_client_id: str = Field("", description="Single sign-on: this app's client id at the identity provider")
    oidc_client_secret: str = Field("", description="Single sign-on: the client secret (never logged or shown)")
    oidc_name: str = Field("SSO", max_length=60, description="Shown on the sign-in page as 'Sign in with <name>'")
    oidc_create_users: bool = Field(
        False, description="Create an account on the first single sign-on of a verified email that has none"
    )
    allow_private_endpoints: bool = Field(
        False,
        description="Let tenant-set URLs (GitHub base URL, AWS endpoint URL) reach loopback, private, link-local "
        "and reserved addresses (GitHub Enterprise on a private network; the test suite)",
    )

    @model_validator(mode="after")
    def _links_follow_the_port(self) -> Settings:
        """Share and invitation links must work where the app runs: without APP_URL they
        point at this machine's PORT, not at a port the app may not be listening on."""
        if not self.app_url.strip():
            self.app_url = f"http://localhost:{self.port}"
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        """A typo here would silently trust nobody (or everybody): refuse it at start."""
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"TRUSTED_PROXIES: '{part}' is not an IP address or CIDR network") from None
        return value


@lru_cache
def get_settings() -> Settings:
    """Settings are read once per process; tests call get_settings.cache_clear()."""
    return Settings()
