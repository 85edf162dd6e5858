"""Pure types of a conversation turn: what comes in, what the store hands back, what goes out.

Inbound payloads (Cloud API JSON, terminal lines, transcribed voice notes) become a frozen
:class:`InboundMessage` at the edge; nothing SDK-shaped travels further in. The store answers
``begin_turn`` with a :class:`TurnStart` and ``end_turn`` with a :class:`TurnEnd`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Mapping

MessageKind = Literal[
    "text", "image", "audio", "video", "document", "sticker", "location", "contacts",
    "interactive", "button", "reaction", "system", "unsupported",
]
MESSAGE_KINDS: frozenset[str] = frozenset(MessageKind.__args__)  # type: ignore[attr-defined]

_WA_ID = re.compile(r"^[1-9][0-9]{6,14}$")


def normalize_wa_id(raw: str) -> str:
    """E.164 digits without ``+`` (``"+62 812-3456-7890"`` → ``"6281234567890"``).

    A leading ``0`` is read as an Indonesian national number (``0812…`` → ``62812…``).
    Raises ``ValueError`` for anything that is not a plausible international number.
    """
    digits = re.sub(r"[\s\-().]", "", raw or "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    if not _WA_ID.match(digits):
        raise ValueError("not a WhatsApp number (E.164 digits expected)")
    return digits


@dataclass(frozen=True)
class InboundMessage:
    """One message from a customer, as every entry point hands it to the turn pipeline.

    A customer is known by ``wa_id`` (phone digits), by ``user_id`` (WhatsApp's business-scoped
    user id, for customers who hide their number), or both; at least one is required.
    """

    wamid: str
    kind: str = "text"
    text: str | None = None
    wa_id: str | None = None
    user_id: str | None = None
    name: str | None = None
    media_uri: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.wamid:
            raise ValueError("wamid is required")
        if not (self.wa_id or self.user_id):
            raise ValueError("a customer needs a wa_id or a user_id")
        if self.kind not in MESSAGE_KINDS:
            raise ValueError(f"unknown message kind {self.kind!r}")


@dataclass(frozen=True)
class OutboundMessage:
    """A reply to queue in the outbox. ``payload`` carries buttons, list rows or media."""

    text: str | None = None
    kind: str = "text"
    payload: Mapping[str, Any] = field(default_factory=dict)
    tokens: int | None = None  # model tokens spent on this reply (the daily budget counts them)

    def __post_init__(self) -> None:
        if self.kind not in MESSAGE_KINDS:
            raise ValueError(f"unknown message kind {self.kind!r}")
        if self.kind == "text" and not self.text:
            raise ValueError("a text message needs text")


@dataclass(frozen=True)
class Customer:
    id: int
    wa_id: str | None
    user_id: str | None
    name: str | None
    saldo: int
    blocked: bool


@dataclass(frozen=True)
class StoredMessage:
    """A message as the store keeps it (inbound to handle, or history)."""

    id: int
    direction: Literal["in", "out"]
    kind: str
    text: str | None
    wamid: str | None = None
    media_uri: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None


@dataclass(frozen=True)
class Lease:
    token: str
    until: datetime


@dataclass(frozen=True)
class TurnStart:
    """What ``begin_turn`` answers.

    ``status``:
      - ``leased``: this call holds the conversation; handle ``messages`` (oldest first, the new
        one last, plus any left unanswered by a crashed turn) with ``state`` and ``history``;
      - ``queued``: another turn holds the lease and will pick this message up in ``end_turn``;
      - ``duplicate``: this wamid was already stored; do nothing;
      - ``blocked``: the customer is blocked; the message is stored and nothing else happens.
    """

    status: Literal["leased", "queued", "duplicate", "blocked"]
    customer: Customer | None = None
    conversation_id: int | None = None
    version: int | None = None
    state: Mapping[str, Any] = field(default_factory=dict)
    lease: Lease | None = None
    messages: tuple[StoredMessage, ...] = ()
    history: tuple[StoredMessage, ...] = ()
    usage: Mapping[str, Any] = field(default_factory=dict)  # messages_last_minute, tokens_today
    # what the state points at, as the orders table has it now: {"orders": {ref: {"status",
    # "payment", "payment_status", ...}}, "payment": {"ref", "status", "kind"} | None}
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxItem:
    """An outbound message written by ``end_turn``, ready to send; ack it once sent."""

    id: int
    message_id: int
    wa_id: str | None
    user_id: str | None
    kind: str
    text: str | None
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxAck:
    """The result of sending an outbox row: its WhatsApp id, or the error that stopped it."""

    outbox_id: int
    wamid: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class TurnEnd:
    """What ``end_turn`` answers: rows to send now, and messages that arrived meanwhile.

    When ``queued`` is not empty the lease is still held (``lease``) and the caller runs another
    turn over them before calling ``end_turn`` again.
    """

    version: int
    outbox: tuple[OutboxItem, ...] = ()
    queued: tuple[StoredMessage, ...] = ()
    lease: Lease | None = None
