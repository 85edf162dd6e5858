"""Pure types for money movements and recorded external events.

Money is always integer rupiah. A customer's saldo is the sum of their ledger rows; the only way
to change it is a posting, and a posting is idempotent on the caller's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Mapping

PostingKind = Literal["credit", "debit", "refund", "fee_refund"]


@dataclass(frozen=True)
class Posting:
    """A ledger row. ``amount`` is signed (debits negative); ``replayed`` is true when the key had
    already been posted and nothing changed."""

    id: int
    customer_id: int
    kind: PostingKind
    amount: int
    balance_after: int
    saldo: int
    replayed: bool


@dataclass(frozen=True)
class RecordedEvent:
    """An external event (webhook) stored once per (source, key).

    ``created`` is false on a replay; ``applied_at`` tells whether it was already acted on.
    """

    id: int
    created: bool
    applied_at: datetime | None
    attempts: int
    payload: Mapping[str, Any]
