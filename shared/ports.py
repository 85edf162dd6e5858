"""The ports: what services need from the outside world, as Protocols.

Adapters in ``shared/adapters`` implement them; ``shared/bootstrap`` picks which. Services depend
on these names only. Later issues add LanguageModel, Provider, Messenger, MediaStore and Queue.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, Sequence

from shared.domain.ledger import Posting, PostingKind, RecordedEvent
from shared.domain.turns import InboundMessage, OutboundMessage, OutboxAck, TurnEnd, TurnStart


class Rpc(Protocol):
    """A way to call our SQL functions by name with named arguments (a data transport).

    Implementations: psycopg (``adapters.postgres``) and PostgREST via supabase-py
    (``adapters.supabase``). Both raise the exceptions of :mod:`shared.errors`.
    """

    name: str

    def call(self, fn: str, params: Mapping[str, Any]) -> Any:
        """Run ``public.<fn>(k => v, ...)`` and return its JSON result as Python values."""
        ...

    def close(self) -> None: ...


class Store(Protocol):
    """Every state change of the product; one SQL function (one round trip) per method."""

    def begin_turn(
        self, msg: InboundMessage, *, acks: Sequence[OutboxAck] = ()
    ) -> TurnStart: ...

    def end_turn(
        self,
        conversation_id: int,
        lease_token: str,
        state: Mapping[str, Any],
        outbound: Sequence[OutboundMessage] = (),
        *,
        acks: Sequence[OutboxAck] = (),
    ) -> TurnEnd: ...

    def ack_outbox(self, acks: Sequence[OutboxAck]) -> int: ...

    def post_ledger(
        self,
        customer_id: int,
        kind: PostingKind,
        amount: int,
        key: str,
        *,
        order_id: int | None = None,
        payment_id: int | None = None,
        note: str | None = None,
    ) -> Posting: ...

    def record_event(
        self, source: str, key: str, payload: Mapping[str, Any]
    ) -> RecordedEvent: ...

    def mark_event_applied(self, event_id: int, *, error: str | None = None) -> None: ...


class KV(Protocol):
    """A small key-value store for what may be lost: caches, rate limits, breaker counters.

    Values are strings. Every method is one round trip (one billed command on Upstash). Errors are
    :class:`shared.errors.KVUnavailable`; callers decide whether to degrade or fail.
    """

    name: str

    def get(self, key: str) -> str | None: ...

    def mget(self, keys: Sequence[str]) -> list[str | None]: ...

    def set(self, key: str, value: str, *, ttl: int | None = None, nx: bool = False) -> bool:
        """Store ``value`` (expiring after ``ttl`` seconds). With ``nx``, only if absent;
        returns whether it was written."""
        ...

    def delete(self, *keys: str) -> int: ...

    def incr(self, key: str, *, ttl: int) -> int:
        """Increment a counter; a new counter expires after ``ttl`` seconds (a fixed window)."""
        ...

    def eval(self, script: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """Run a Lua script atomically (for steps that need several commands)."""
        ...

    def close(self) -> None: ...
