"""Logging: one line per event on stderr, as text locally or as JSON for Cloud Logging.

Cloud Logging reads ``severity`` and ``message`` from a JSON line on stdout/stderr; extra fields
passed with ``extra={...}`` (wamid, order ref, backend) become structured fields. Every record is
masked when it is made: customers' phone numbers are shortened (``0812****890``) and the secret
values of the settings (keys, tokens, URL passwords) never appear, whichever handler writes it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from typing import Any, Iterable

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

# Customers' numbers never reach the logs whole: 0812****890 is enough to follow a case.
_PHONE = re.compile(r"(?<![0-9])(\+?62|0)(8[0-9]{2})[0-9]{3,8}([0-9]{3})(?![0-9])")
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_base_factory = logging.getLogRecordFactory()


def mask(text: str) -> str:
    """``text`` with phone numbers shortened and every registered secret replaced by ``***``."""
    text = _PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}****{m.group(3)}", text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def redact(values: Iterable[str | None]) -> None:
    """Register secret values (keys, tokens, passwords) that must never appear in a log line."""
    with _secrets_lock:
        _secrets.update(v for v in values if v and len(v) >= 6)


def _masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every record, whichever handler gets it (Cloud Logging, a terminal, a test's capture), is
    masked once when it is made: its message and its traceback."""
    record = _base_factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: leave the record to fail as logging would
        return record
    record.msg, record.args = mask(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
    return record


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        entry.update({k: mask(v) if isinstance(v, str) else v for k, v in record.__dict__.items()
                      if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def install(secrets: Iterable[str | None] = ()) -> None:
    """Mask every log record from now on (phone numbers, and ``secrets``), whatever handles it."""
    redact(secrets)
    logging.setLogRecordFactory(_masked_record)


def configure(level: str = "INFO", fmt: str = "text", secrets: Iterable[str | None] = ()) -> None:
    """Send every log record to stderr (stdout stays free for machine output such as ``--json``),
    masked: phone numbers shortened, ``secrets`` replaced."""
    install(secrets)
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "psycopg.pool", "hpack", "pgserver"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
