"""WhatsApp Cloud API facts our code decides on: which error codes are worth a retry, the limits
of interactive messages, and how long text is split. Pure: the messenger adapter and the inbound
service both read it.
"""

from __future__ import annotations

import re

TEXT_LIMIT = 4096           # characters in one text message
BODY_LIMIT = 1024           # the body of an interactive message
BUTTONS_MAX, BUTTON_TITLE = 3, 20
ROWS_MAX, ROW_TITLE, ROW_DESCRIPTION, LIST_BUTTON = 10, 24, 72, 20
TEMPLATE_PARAM_LIMIT = 1024  # a template text parameter: no newlines, no tabs, no 4+ spaces in a row

REENGAGEMENT = 131047       # more than 24 h since the customer's last message
# Worth sending again later: throughput and pair rate limits, Meta's own trouble, maintenance.
RETRYABLE = frozenset({1, 2, 4, 17, 341, 80007, 130429, 131000, 131016, 131048, 131056, 131057, 133004})
# Every send stops until ops act: the token or the app's permissions.
AUTH = frozenset({0, 3, 10, 190}) | frozenset(range(200, 300))


def retryable(code: int | None) -> bool:
    return code is None or code in RETRYABLE


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut on paragraph, then line, then word
    boundaries, so ``*bold*`` and ``_italic_`` spans on a line stay whole."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[:limit + 1]
        cut = max(window.rfind("\n\n"), -1)
        if cut <= limit // 4:
            cut = window.rfind("\n")
        if cut <= limit // 4:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def template_param(text: str, limit: int = 200) -> str:
    """A template parameter may hold no newline, tab or more than three spaces in a row."""
    flat = re.sub(r":[ \t]*\n\s*", ": ", text.strip())
    flat = re.sub(r"\s*\n\s*", " · ", flat)
    flat = re.sub(r"[\t ]{2,}", " ", flat)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


TRACKER_PREFIX = "outbox:"


def tracker_of(outbox_id: int) -> str:
    """What a message carries as ``biz_opaque_callback_data``: its statuses come back with it."""
    return f"{TRACKER_PREFIX}{outbox_id}"


def outbox_of(tracker: str | None) -> int | None:
    """The outbox id a status's ``biz_opaque_callback_data`` names (``None`` if not ours)."""
    if tracker and tracker.startswith(TRACKER_PREFIX) and tracker[len(TRACKER_PREFIX):].isdigit():
        return int(tracker[len(TRACKER_PREFIX):])
    return None
