"""A turn's lease on its conversation, kept for as long as the turn needs it.

``begin_turn`` leases the conversation for ``TURN_LEASE_SECONDS``; a message arriving after that
takes the lease over and answers the turn's messages itself. So a turn that is still working must
never outlive its lease: before each step that may wait (a model call, an Atlantic call), the turn
asks :meth:`TurnLease.ensure` for that step's worst case. When the lease has less time left, it is
extended (``extend_lease``, one round trip, only in slow turns); when it was already taken over,
:class:`shared.errors.LeaseLost` stops the turn *before* it starts something at Atlantic.

Time is measured on this instance's monotonic clock from just before ``begin_turn`` was sent, minus
a safety margin, so the local deadline is never later than the database's ``lease_until``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

from shared.ports import Supplier, Store

log = logging.getLogger(__name__)

SAFETY_SECONDS = 3.0  # network and clock slack between this instance and the database


class TurnLease:
    def __init__(self, store: Store, conversation_id: int, token: str, seconds: float, *, started: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.token = token
        self.seconds = seconds
        self.clock = clock
        self.deadline = started + seconds - SAFETY_SECONDS

    def remaining(self) -> float:
        """Seconds this turn may still work under its lease."""
        return self.deadline - self.clock()

    def renewed(self, started: float) -> None:
        """``end_turn`` kept the lease for queued messages (from ``started``, before it was sent)."""
        self.deadline = started + self.seconds - SAFETY_SECONDS

    def ensure(self, seconds: float) -> None:
        """Make sure the lease outlasts a step of at most ``seconds``; raises ``LeaseLost``."""
        if self.remaining() >= seconds:
            return
        started = self.clock()
        self.store.extend_lease(self.conversation_id, self.token)
        self.deadline = started + self.seconds - SAFETY_SECONDS
        log.info("conversation %s: lease extended for a %.0f s step", self.conversation_id, seconds)


# Supplier (Atlantic) calls a turn may make, by how long they may take at worst.
_READS = frozenset({"profile", "price_list", "transaction_status", "deposit_methods", "deposit_status",
                    "bank_list", "check_account", "transfer_status"})
_CREATES = frozenset({"create_transaction", "bill_inquiry", "pay_bill", "create_deposit", "cancel_deposit",
                      "create_transfer"})


class LeasedSupplier:
    """The supplier as a turn uses it: every call first makes sure the lease outlasts the call."""

    def __init__(self, supplier: Supplier, lease: TurnLease) -> None:
        self._supplier = supplier
        self._lease = lease

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._supplier, name)
        if name not in _READS and name not in _CREATES:
            return attr
        worst = self._supplier.worst_case_seconds(read=name in _READS)
        lease = self._lease

        def call(*args: Any, **kwargs: Any) -> Any:
            lease.ensure(worst)
            return attr(*args, **kwargs)

        return call
