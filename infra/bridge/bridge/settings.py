"""The bridge's settings, read from the environment and ``.env`` like the product's own
(``shared.config``): names in any case, empty means unset, and every bad or missing value is
named in one :class:`shared.errors.ConfigError` at start."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from shared.config import PROJECT_ROOT, gather
from shared.errors import ConfigError

_DIGITS = re.compile(r"^[0-9]{1,20}$")


class BridgeSettings(BaseModel):
    """Every setting of the bridge (listed in ``.env.example`` under "WhatsApp bridge")."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, frozen=True)

    bridge_session: Literal["neonize", "webphone"] = "neonize"
    bridge_host: str = "127.0.0.1"
    bridge_port: int = Field(8090, ge=0, le=65535)
    port: int | None = Field(None, ge=1, le=65535)  # Cloud Run's; wins over BRIDGE_PORT
    bridge_webhook_url: str
    whatsapp_app_secret: SecretStr
    whatsapp_token: SecretStr
    whatsapp_phone_id: str = "100000000000001"
    bridge_display_number: str = "6281100000000"  # the shop's number, until the session knows it
    bridge_database_url: SecretStr | None = None
    database_url: SecretStr | None = None  # the product's: the bridge uses its own database beside it
    data_dir: Path = PROJECT_ROOT / ".data"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    # login
    bridge_pair_phone: str | None = None
    bridge_qr_timeout_seconds: float = Field(170, ge=30, le=600)
    bridge_reconnect_max_seconds: float = Field(60, ge=1, le=3600)

    # delivery of inbound events
    bridge_webhook_timeout_seconds: float = Field(90, gt=0, le=600)
    bridge_webhook_fail_seconds: float = Field(120, ge=1, le=86400)
    bridge_retry_base_seconds: float = Field(1, gt=0, le=600)
    bridge_retry_max_seconds: float = Field(300, gt=0, le=86400)
    bridge_delivery_workers: int = Field(8, ge=1, le=64)
    bridge_media_retention_days: int = Field(30, ge=1, le=3650)
    bridge_media_max_mb: int = Field(16, ge=1, le=100)  # one file (Meta's own limit for audio and video)
    bridge_media_total_mb: int = Field(2048, ge=1, le=1_000_000)  # all files kept; oldest go first

    # outbound: number answers and pacing against bans
    quote_ttl_seconds: int = Field(900, ge=60, le=86400)
    bridge_typing_ms_per_char: float = Field(40, ge=0, le=1000)
    bridge_typing_max_seconds: float = Field(4, ge=0, le=25)
    bridge_chat_gap_seconds: float = Field(1.5, ge=0, le=60)
    bridge_sends_per_minute: int = Field(40, ge=1, le=6000)
    bridge_send_wait_seconds: float = Field(6, ge=0, le=60)
    bridge_admin_wa_ids: tuple[str, ...] = ()
    admin_wa_ids: tuple[str, ...] = ()

    # webphone (make dev): where "bayar QRIS" pays the sandbox
    bridge_webphone_pay_url: str | None = None

    @field_validator("bridge_admin_wa_ids", "admin_wa_ids", mode="before")
    @classmethod
    def _numbers(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [p.strip().lstrip("+") for p in v.split(",") if p.strip()]
        for n in v or ():
            if not _DIGITS.match(str(n)):
                raise ValueError("must be comma-separated phone numbers in international digits (6281...)")
        return tuple(str(n) for n in v or ())

    @field_validator("bridge_webhook_url", "bridge_webphone_pay_url")
    @classmethod
    def _http(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("must be an http(s) URL")
        return v

    @field_validator("whatsapp_phone_id", "bridge_display_number")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _DIGITS.match(v):
            raise ValueError("must be digits")
        return v

    @field_validator("bridge_pair_phone")
    @classmethod
    def _pair(cls, v: str | None) -> str | None:
        if v is not None and not _DIGITS.match(v.lstrip("+")):
            raise ValueError("must be the number to pair in international digits (6281...)")
        return v.lstrip("+") if v else v

    def __init__(self, _env_file: str | Path | None = ".env", **values: Any) -> None:
        # $PORT is the platform's (Cloud Run): the product's .env PORT is a function's, not ours
        merged = gather(type(self).model_fields, _env_file, values, env_only=("port",))
        try:
            super().__init__(**merged)
        except ValidationError as exc:
            problems = []
            for err in exc.errors(include_input=False, include_url=False):
                name = str(err["loc"][0]).upper() if err["loc"] else "settings"
                message = "is required" if err["type"] == "missing" else err["msg"].removeprefix("Value error, ")
                problems.append(f"{name}: {message}")
            raise ConfigError(problems) from None

    @property
    def listen_port(self) -> int:
        return self.port or self.bridge_port

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(self.bridge_admin_wa_ids or self.admin_wa_ids)
