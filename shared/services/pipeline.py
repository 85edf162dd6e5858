"""The turn pipeline: ``begin_turn`` → understand → act → ``end_turn`` → send.

Two database round trips per turn (plus one per tool call that reads or changes state). Messages
that arrive while a turn runs are queued by ``begin_turn`` and handed back by ``end_turn``; the
pipeline answers them as the next turn, read together ("kak" / "mau pulsa" / "10rb" is one
question). Send results ride on the next call to the store (no round trip of their own): the
instance's :class:`AckBuffer` is shared with its reconciler passes and flushed when the instance
shuts down (``App.close``), so a message that was sent is never sent again by the outbox sweep; a
send that fails stays in the outbox for the reconciler.

A turn keeps its lease while it waits on slow steps (:mod:`shared.services.lease`); if the lease
is taken over anyway, the turn's replies are queued outside it rather than lost.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from shared.domain import replies
from shared.domain.turns import (
    InboundMessage,
    OutboundMessage,
    StoredMessage,
    TurnStart,
)
from shared.errors import BotError, LeaseLost
from shared.ports import Messenger, Store
from shared.services.acks import AckBuffer, send_one
from shared.services.conversation import respond
from shared.services.conversation.context import Deps, Reply, TurnInput
from shared.services.fulfilment import fulfil
from shared.services.lease import TurnLease

log = logging.getLogger(__name__)


@dataclass
class Pipeline:
    store: Store
    deps: Deps
    messenger: Messenger
    acks: AckBuffer = field(default_factory=AckBuffer)
    lease_seconds: float = 60.0  # TURN_LEASE_SECONDS, as the store leases conversations
    clock: Callable[[], float] = time.monotonic

    def handle(self, msg: InboundMessage) -> list[Reply]:
        """Run every turn this message starts (none if it was a duplicate, got queued, or the
        seller is answering this customer).

        Raises only when the message could not be recorded (``begin_turn`` failed: the caller
        answers 5xx so WhatsApp retries). Once it is recorded, a turn that fails is logged and
        left to the reconciler, which answers conversations whose turn died."""
        acks = self.acks.take()
        started = self.clock()
        try:
            start = self.store.begin_turn(msg, acks=acks)
        except BotError:
            self.acks.put_back(acks)
            raise
        if start.status != "leased":
            log.info("message %s: %s", msg.wamid, start.status)
            return []
        typing = threading.Thread(target=self.messenger.typing, args=(msg.wamid,), daemon=True)
        typing.start()  # read receipt + "typing…", while the turn works; joined before the replies go
        try:
            return self._run(start, started, msg.wamid, typing=typing)
        except Exception:
            log.exception("turn for %s failed after the message was recorded; the reconciler answers it", msg.wamid)
            return []

    def resume(self, start: TurnStart, started: float) -> list[Reply]:
        """Answer a conversation the reconciler leased (its turn crashed or never ended)."""
        return self._run(start, started, "stale turn")

    def _run(self, start: TurnStart, started: float, label: str, *, typing: threading.Thread | None = None) -> list[Reply]:
        conversation_id, token = start.conversation_id, start.lease.token
        lease = TurnLease(self.store, conversation_id, token, self.lease_seconds, started=started, clock=self.clock)
        state, history, messages = dict(start.state), list(start.history), start.messages
        usage, facts = dict(start.usage), dict(start.facts)
        done: list[Reply] = []
        while True:
            turn = TurnInput(start.customer, state, tuple(history), tuple(messages), usage, facts=facts, lease=lease)
            reply = self._respond(turn, label) if messages else Reply([], state, facts={"action": "nothing"})
            outbound = reply.messages
            if outbound and reply.tokens:
                outbound = [replace(outbound[0], tokens=reply.tokens), *outbound[1:]]
            if reply.facts.get("lease_lost"):
                self._rescue(start.customer.id, outbound, conversation_id)
                self._fulfil(reply.fulfil)
                return done + [reply]
            ended = self.clock()
            try:
                end = self.store.end_turn(conversation_id, token, reply.state, outbound, acks=self.acks.take())
            except LeaseLost:
                self._rescue(start.customer.id, outbound, conversation_id)
                self._fulfil(reply.fulfil)
                return done + [reply]
            if typing is not None:
                typing.join(timeout=2.0)  # the indicator never shows after the reply
                typing = None
            self._send_all(end.outbox)
            self._fulfil(reply.fulfil)
            done.append(reply)
            if not end.queued:
                return done
            lease.renewed(ended)
            history += list(messages) + [StoredMessage(id=o.message_id, direction="out", kind=o.kind, text=o.text)
                                         for o in end.outbox]
            messages, state, facts = end.queued, reply.state, {}
            usage = {**usage, "tokens_today": int(usage.get("tokens_today", 0)) + reply.tokens}

    def _respond(self, turn: TurnInput, label: str) -> Reply:
        try:
            return respond(turn, self.deps)
        except Exception:  # a bug must not leave the customer unanswered or the lease held
            log.exception("turn for %s failed; answering with an apology", label)
            return Reply([OutboundMessage(replies.technical_problem())], turn.state, facts={"action": "error"})

    def _rescue(self, customer_id: int, outbound: list[OutboundMessage], conversation_id: int) -> None:
        """The lease was taken over while this turn worked: its replies may tell of what it did
        (a QRIS made, saldo paid), so they are queued outside the turn rather than dropped. The turn
        that took over answers the same messages from the orders' real state."""
        log.warning("conversation %s: the lease was taken over; %d reply(ies) sent outside the turn",
                    conversation_id, len(outbound))
        if not outbound:
            return
        items = [{"customer_id": customer_id, "kind": m.kind, "text": m.text, "payload": dict(m.payload)}
                 for m in outbound]
        try:
            self._send_all(self.deps.orders.enqueue(items))
        except BotError:
            log.exception("conversation %s: the replies of a turn that lost its lease could not be queued",
                          conversation_id)

    def _fulfil(self, refs: list[str]) -> None:
        """Submit the orders this turn paid for, after the customer has read "diproses"."""
        for ref in refs:
            try:
                fulfil(self.deps.shop, ref)
            except Exception:  # the order stays paid/processing: the reconciler picks it up
                log.exception("fulfilling %s after the turn failed", ref)

    def _send_all(self, items: Any) -> None:
        """Send a turn's replies in order; after one fails, the rest wait for the outbox sweep
        (which keeps each customer's order)."""
        for item in items:
            ack = send_one(self.messenger, item)
            self.acks.add(ack)
            if not ack.wamid:
                return
