"""Typed settings (HAVEN_* environment variables), built when a process starts (the app
factory, the worker, each command: see haven.runtime), never at import."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HAVEN_", extra="ignore")

    home: Path = Field(default=Path(".haven"), description="Where keys and the SQLite file live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to a SQLite file under home."
    )
    dev_mode: bool = False
    base_url: str = "http://127.0.0.1:8000"

    # Key-encryption key for personal data (base64 of 32 bytes). When unset, a key file under
    # home is used, created on first start with owner-only permissions.
    kek: SecretStr | None = None
    # Key for blind indexes (base64 of 32 bytes); same fallback as the KEK.
    blind_index_key: SecretStr | None = None

    # The ledger's origin line and signing key (a C2SP signed-note private key string).
    log_origin: str | None = None
    log_key: SecretStr | None = None
    # Least time between two signed checkpoints; entries are integrated right after commit.
    log_checkpoint_seconds: float = Field(default=2.0, ge=0, le=300)
    # Witnesses that cosign each checkpoint: "<cosignature vkey> <submission URL>" per item
    # (HAVEN_LOG_WITNESSES is a JSON list), and how many cosignatures a checkpoint needs to be
    # trusted (0: the log's own signature is enough).
    log_witnesses: list[str] = Field(default_factory=list)
    log_witness_quorum: int = Field(default=0, ge=0)

    hold_minutes: int = Field(default=10, ge=1, le=60)
    # Retention in days after a person's last appointment, unless the service sets its own.
    retention_days: int = Field(default=90, ge=1)
    # What a clerk sees: today and this many working days after it (office-local days).
    clerk_days_ahead: int = Field(default=1, ge=0, le=7)
    # Unusual access: a member of staff who opens more records in a day than this many times
    # the median of the others who read that day (and at least the minimum) is flagged.
    unusual_read_factor: int = Field(default=3, ge=2, le=100)
    unusual_read_minimum: int = Field(default=40, ge=1)

    # Days between a policy version's publication (its second signature) and the earliest it
    # may take effect. It can be lengthened, never set below 30: the notice is the public's
    # chance to see a change to what the disclosure gateway allows before it applies.
    policy_notice_days: int = Field(default=30, ge=30, le=365)

    # The public transparency report shows counts below this as a band ("0-9" for 10), so that
    # no one can be singled out; a setting, never a query parameter, so a visitor cannot unband.
    transparency_band_width: int = Field(default=10, ge=2, le=1000)

    # Staff sign-in (haven.access). Sessions end after this long without a request, and after
    # the absolute limit whatever happens; a TOTP step left half-done expires sooner.
    staff_session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    staff_session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    # The staff cookie is Secure unless this says otherwise; unset means "Secure unless
    # dev_mode", so plain-http development and tests work and production fails closed.
    staff_cookie_secure: bool | None = None
    # Failed sign-ins: this many are free, then each waits twice as long as the one before
    # (from 1 second), and at the lockout count the account locks for lockout minutes.
    staff_free_attempts: int = Field(default=3, ge=1, le=20)
    staff_lockout_attempts: int = Field(default=10, ge=2, le=100)
    staff_lockout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # argon2id cost for new password hashes (RFC 9106's second recommended option by default).
    # Outside dev_mode anything below OWASP's floor (19 MiB, 2 passes) is refused at start.
    staff_password_memory_kib: int = Field(default=65_536, ge=8, le=4_194_304)
    staff_password_time_cost: int = Field(default=3, ge=1, le=20)
    staff_password_parallelism: int = Field(default=4, ge=1, le=16)

    # Messages to people (haven.notify). Email goes through this SMTP server; unset (and in
    # dev_mode) it is written to files under home/outbox instead. "starttls" upgrades a plain
    # connection, "ssl" connects with TLS from the start, "none" only for a local relay.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Haven <no-reply@haven.invalid>"
    # SMS through a provider's HTTP webhook: the body is signed with HMAC-SHA256 under the
    # secret and the signature sent in a header. Unset (and in dev_mode): files under home.
    sms_webhook_url: str | None = None
    sms_webhook_secret: SecretStr | None = None
    # The reminder goes this many hours before the appointment.
    reminder_hours: int = Field(default=24, ge=1, le=7 * 24)
    # A message that fails is tried again after 1, 2, 4, ... times the back-off, and marked
    # failed (shown to the office manager) after this many attempts.
    message_max_attempts: int = Field(default=5, ge=1, le=20)
    message_backoff_seconds: int = Field(default=60, ge=1, le=24 * 3600)
    # A waitlist offer holds its slot for this long before it passes to the next person.
    waitlist_offer_minutes: int = Field(default=120, ge=5, le=7 * 24 * 60)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'haven.db').resolve()}"

    def resolved_log_origin(self) -> str:
        return self.log_origin or f"{socket.gethostname()}/haven"

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.home
