"""The turn pipeline: ``begin_turn`` → understand → act → ``end_turn`` → send.

Two database round trips per turn (plus one per tool call that reads or changes state). Messages
that arrive while a turn runs are queued by ``begin_turn`` and handed back by ``end_turn``; the
pipeline answers them as the next turn, read together ("kak" / "mau pulsa" / "10rb" is one
question). Send results ride on the next call to the store (no round trip of their own); a send
that fails stays in the outbox for the reconciler.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from shared.domain import replies
from shared.domain.turns import InboundMessage, OutboundMessage, OutboxAck, StoredMessage
from shared.errors import BotError, LeaseLost
from shared.ports import Messenger, Store
from shared.services.conversation import Deps, Reply, TurnInput, respond
from shared.services.money import fulfil

log = logging.getLogger(__name__)


class AckBuffer:
    """Send results waiting for the next store call of this instance."""

    def __init__(self) -> None:
        self._acks: list[OutboxAck] = []
        self._lock = threading.Lock()

    def add(self, ack: OutboxAck) -> None:
        with self._lock:
            self._acks.append(ack)

    def take(self) -> list[OutboxAck]:
        with self._lock:
            taken, self._acks = self._acks, []
            return taken

    def put_back(self, acks: list[OutboxAck]) -> None:
        with self._lock:
            self._acks = acks + self._acks


@dataclass
class Pipeline:
    store: Store
    deps: Deps
    messenger: Messenger
    acks: AckBuffer = field(default_factory=AckBuffer)

    def handle(self, msg: InboundMessage) -> list[Reply]:
        """Run every turn this message starts (none if it was a duplicate or got queued)."""
        acks = self.acks.take()
        try:
            start = self.store.begin_turn(msg, acks=acks)
        except BotError:
            self.acks.put_back(acks)
            raise
        if start.status != "leased":
            log.info("message %s: %s", msg.wamid, start.status)
            return []
        conversation_id, lease = start.conversation_id, start.lease.token
        state, history, messages = dict(start.state), list(start.history), start.messages
        usage = dict(start.usage)
        done: list[Reply] = []
        while True:
            turn = TurnInput(start.customer, state, tuple(history), tuple(messages), usage)
            reply = self._respond(turn, msg.wamid)
            outbound = reply.messages
            if outbound and reply.tokens:
                outbound = [replace(outbound[0], tokens=reply.tokens), *outbound[1:]]
            try:
                end = self.store.end_turn(conversation_id, lease, reply.state, outbound, acks=self.acks.take())
            except LeaseLost:
                log.warning("conversation %s: the lease was taken over; this turn's replies are dropped", conversation_id)
                return done
            for item in end.outbox:
                self._send(item)
            self._fulfil(reply.fulfil)
            done.append(reply)
            if not end.queued:
                return done
            history += list(messages) + [StoredMessage(id=o.message_id, direction="out", kind=o.kind, text=o.text)
                                         for o in end.outbox]
            messages, state = end.queued, reply.state
            usage = {**usage, "tokens_today": int(usage.get("tokens_today", 0)) + reply.tokens}

    def _respond(self, turn: TurnInput, wamid: str) -> Reply:
        try:
            return respond(turn, self.deps)
        except Exception:  # a bug must not leave the customer unanswered or the lease held
            log.exception("turn for %s failed; answering with an apology", wamid)
            return Reply([OutboundMessage(replies.technical_problem())], turn.state, facts={"action": "error"})

    def _fulfil(self, refs: list[str]) -> None:
        """Submit the orders this turn paid for, after the customer has read "diproses"."""
        shop = self.deps.shop
        if shop is None:  # no provider wired here: the reconciler submits paid orders
            return
        for ref in refs:
            try:
                fulfil(shop, ref)
            except Exception:  # the order stays paid/processing: the reconciler picks it up
                log.exception("fulfilling %s after the turn failed", ref)

    def _send(self, item: Any) -> None:
        try:
            wamid = self.messenger.send(item)
        except Exception as exc:
            log.warning("sending outbox %s failed: %s", item.id, exc)
            self.acks.add(OutboxAck(item.id, error=str(exc)[:300]))
        else:
            self.acks.add(OutboxAck(item.id, wamid=wamid))
