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
class ReplyChoice:
    """What the customer tapped: a reply button or a list row (``kind``), by the ``id`` we gave it.

    Ids are ours, set when the buttons or rows were sent: ``qris:<ref>``, ``saldo:<ref>``,
    ``cancel:<ref>`` on a quote, ``pick:<product code>`` on a product list.
    """

    kind: Literal["button", "list"]
    id: str
    title: str | None = None
    description: str | None = None

    @property
    def action(self) -> str:
        """The part before ``:`` (``qris``), or the whole id."""
        return self.id.split(":", 1)[0]

    @property
    def value(self) -> str | None:
        """The part after ``:`` (the ref or the product code)."""
        return self.id.split(":", 1)[1] if ":" in self.id else None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in (("kind", self.kind), ("id", self.id), ("title", self.title),
                                  ("description", self.description)) if v is not None}

    @classmethod
    def from_json(cls, raw: Any) -> ReplyChoice | None:
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str) or raw.get("kind") not in ("button", "list"):
            return None
        return cls(raw["kind"], raw["id"], raw.get("title"), raw.get("description"))


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
    reply: ReplyChoice | None = None  # a tapped button or list row

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
    reply: ReplyChoice | None = None  # a tapped button or list row


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
      - ``blocked``: the customer is blocked; the message is stored and nothing else happens;
      - ``quiet``: the seller is answering this customer personally; the message is stored only.
    """

    status: Literal["leased", "queued", "duplicate", "blocked", "quiet"]
    customer: Customer | None = None
    conversation_id: int | None = None
    version: int | None = None
    state: Mapping[str, Any] = field(default_factory=dict)
    lease: Lease | None = None
    messages: tuple[StoredMessage, ...] = ()
    history: tuple[StoredMessage, ...] = ()
    usage: Mapping[str, Any] = field(default_factory=dict)  # turns_last_minute, messages_last_minute, tokens_today
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
    # whether a free-form message reaches the customer now (their last message is under 24 h old);
    # a turn's replies always do
    window_open: bool = True


@dataclass(frozen=True)
class OutboxAck:
    """The result of sending an outbox row: its WhatsApp id, or the error that stopped it.

    An error is retried with a backoff unless ``permanent`` (the row is failed, with ``code``) or
    ``hold`` (it may not go out now: outside the 24 h window with no template; the customer's
    next message releases it)."""

    outbox_id: int
    wamid: str | None = None
    error: str | None = None
    code: int | None = None
    permanent: bool = False
    hold: bool = False


@dataclass(frozen=True)
class DeliveryStatus:
    """A delivery status WhatsApp reported for a message we sent, as the outbox records it.

    ``outbox_id`` is read back from the tracker we sent with the message (so a status that
    arrives before the send result was recorded still finds its row); ``retry`` says a failure
    is worth sending again; ``closes_window`` that the customer is outside the 24 h window."""

    wamid: str
    status: Literal["sent", "delivered", "read", "failed"]
    outbox_id: int | None = None
    code: int | None = None
    error: str | None = None
    retry: bool = False
    closes_window: bool = False
    at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"wamid": self.wamid, "status": self.status, "outbox_id": self.outbox_id, "code": self.code,
                "error": self.error, "retry": self.retry, "closes_window": self.closes_window,
                "at": self.at.isoformat() if self.at else None}


@dataclass(frozen=True)
class SellerEcho:
    """A message the seller typed to a customer on the shop's own number (WhatsApp Business app)."""

    wamid: str
    wa_id: str | None
    user_id: str | None
    kind: str = "text"
    text: str | None = None
    sent_at: datetime | None = None


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
