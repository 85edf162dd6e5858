"""Send results waiting for a ride: the outbox acknowledgements of one instance.

A message is sent right after ``end_turn``; recording that it went out rides on the instance's next
store call (the next ``begin_turn`` / ``end_turn``, or its reconciler pass) instead of a round trip
of its own, and the buffer is flushed when the app closes, so the outbox sweep never resends a
message that was delivered.
"""

from __future__ import annotations

import threading

from shared.domain.turns import OutboxAck


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
