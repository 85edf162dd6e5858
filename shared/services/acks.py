"""Send results: one outbox row sent and acknowledged, and the acknowledgements of one instance
waiting for a ride.

:func:`send_one` turns what the messenger did into an :class:`OutboxAck`: its wamid, or an error
that says whether the row is retried (network, rate limits, Meta's trouble, a bad token), failed
for good (an invalid recipient, a refused parameter) or held (outside the 24 h window with no
template; the customer's next message releases it).

A message is sent right after ``end_turn``; recording that it went out rides on the instance's next
store call (the next ``begin_turn`` / ``end_turn``, or its reconciler pass) instead of a round trip
of its own, and the buffer is flushed when the app closes, so the outbox sweep never resends a
message that was delivered.
"""

from __future__ import annotations

import logging
import threading

from shared.domain.turns import OutboxAck, OutboxItem
from shared.errors import MessengerError, OutsideWindow
from shared.ports import Messenger

log = logging.getLogger(__name__)


def send_one(messenger: Messenger, item: OutboxItem) -> OutboxAck:
    """Send ``item``; never raises."""
    try:
        wamid = messenger.send(item)
    except OutsideWindow as exc:
        log.warning("outbox %s held: %s", item.id, exc)
        return OutboxAck(item.id, error=str(exc)[:300], code=exc.code, hold=True)
    except MessengerError as exc:
        (log.error if exc.permanent else log.warning)("sending outbox %s failed: %s", item.id, exc)
        return OutboxAck(item.id, error=str(exc)[:300], code=exc.code, permanent=exc.permanent)
    except Exception as exc:  # a bug in a messenger: retried with a backoff, then failed and reported
        log.exception("sending outbox %s failed", item.id)
        return OutboxAck(item.id, error=str(exc)[:300] or exc.__class__.__name__)
    return OutboxAck(item.id, wamid=wamid)


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

    def pending(self) -> int:
        with self._lock:
            return len(self._acks)
