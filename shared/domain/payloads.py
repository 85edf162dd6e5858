"""Webhook bodies, read strictly at the edge: what does not parse here never reaches a service.

Every entry point reads its body with a size limit that fits its sender (Atlantic's callbacks are a
few hundred bytes, so ``atlantic_webhook`` takes 64 KiB; Meta batches WhatsApp updates, so
``whatsapp_webhook`` takes at least 3 MiB) and parses it with :func:`parse_json`, which refuses
what Python's ``json`` would accept but Postgres' ``jsonb`` or our code would choke on later:

- bytes that are not UTF-8, ``\\u0000`` and lone surrogates in strings;
- ``NaN`` / ``Infinity``, floats out of range, integers longer than 18 digits;
- nesting deeper than ``max_depth`` (and a body whose top level is not an object).

:class:`BadPayload` means "answer 400"; :class:`PayloadTooLarge` means "answer 413".
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_INT_DIGITS = 18


class BadPayload(ValueError):
    """The body is not what this entry point accepts (answer 400, store nothing)."""


class PayloadTooLarge(BadPayload):
    """The body is larger than this entry point accepts (answer 413, store nothing)."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BadPayload("an integer is out of range")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadPayload("a number is out of range")
    return value


def _constant(name: str) -> Any:
    raise BadPayload(f"{name} is not JSON")


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BadPayload("a string holds a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadPayload("a string holds a lone surrogate") from None


def parse_json(raw: bytes, *, max_bytes: int, max_depth: int = 32) -> dict[str, Any]:
    """The JSON object in ``raw``; raises :class:`PayloadTooLarge` or :class:`BadPayload`."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload("the body is not UTF-8") from None
    try:
        body = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise BadPayload("the body is nested too deeply") from None
    except BadPayload:
        raise
    except ValueError as exc:
        raise BadPayload(f"the body is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(body, dict):
        raise BadPayload("the body is not a JSON object")
    # one iterative walk: depth, and every string (keys included)
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            raise BadPayload("the body is nested too deeply")
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(value)
    return body


def read_limited(stream: Any, content_length: int | None, max_bytes: int) -> bytes:
    """Read a request body of at most ``max_bytes`` (raises :class:`PayloadTooLarge` past it),
    without reading more than one byte beyond the limit."""
    if content_length is not None and content_length > max_bytes:
        raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = stream.read(max_bytes + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise PayloadTooLarge(f"the body is larger than {max_bytes} bytes")
    return b"".join(chunks)
