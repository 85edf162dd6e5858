"""The shop as money work sees it: the orders port, the supplier, who to tell, and the seller's
money settings. Built once per instance by ``bootstrap``; :mod:`shared.services.payments` and
:mod:`shared.services.fulfilment` take it as their first argument.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from shared.domain.orders import gross_for_net, method_fee
from shared.domain.turns import OutboxItem
from shared.errors import BotError, SupplierError
from shared.ports import Messenger, Orders, Store, Supplier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MoneySettings:
    qris_fee_payer: str = "customer"
    qris_ttl_seconds: int = 900
    pending_notice_seconds: int = 120
    escalate_after_seconds: int = 1800
    resubmit_after_seconds: int = 60
    check_after_seconds: int = 20
    low_balance_threshold: int = 200_000
    catalog_sync_minutes: int = 60
    admin_wa_ids: tuple[str, ...] = ()
    deposit_min: int = 10_000
    deposit_max: int = 5_000_000
    recheck_finished_hours: int = 24


class Notifier:
    """Messages outside a turn: written to the outbox, sent at once when a messenger is set, and
    acknowledged (a row that cannot be sent now waits for the reconciler's sweep)."""

    def __init__(self, orders: Orders, store: Store, messenger: Messenger | None) -> None:
        self.orders = orders
        self.store = store
        self.messenger = messenger

    def send(self, items: Sequence[dict[str, Any]]) -> list[OutboxItem]:
        if not items:
            return []
        outbox = self.orders.enqueue(items)
        self.deliver(outbox)
        return outbox

    def deliver(self, outbox: Sequence[OutboxItem]) -> None:
        if self.messenger is None or not outbox:
            return
        from shared.services.acks import send_one

        acks, stopped = [], set()
        for item in outbox:  # in order per customer: after one fails, the rest of theirs waits
            who = item.wa_id or item.user_id
            if who in stopped:
                continue
            ack = send_one(self.messenger, item)
            if not ack.wamid:
                stopped.add(who)
            acks.append(ack)
        self.store.ack_outbox(acks)

    def lang(self, customer_id: int | None) -> str:
        """The customer's language for a notice; Indonesian when it cannot be read (the notice
        itself matters more than its language)."""
        if customer_id is None:
            return "id"
        try:
            return self.orders.customer_lang(customer_id)
        except BotError as exc:
            log.warning("reading customer %s's language: %s", customer_id, exc)
            return "id"

    def customer(self, customer_id: int, text: str, **payload: Any) -> None:
        self.send([{"customer_id": customer_id, "text": text, "payload": payload}])

    def admins(self, admin_ids: Sequence[str], text: str) -> None:
        if not admin_ids:
            log.warning("no ADMIN_WA_IDS to tell: %s", text)
            return
        self.send([{"wa_id": wa_id, "text": text, "payload": {"admin_alert": True}} for wa_id in admin_ids])


@dataclass
class Shop:
    """What money work needs."""

    orders: Orders
    supplier: Supplier
    notifier: Notifier
    settings: MoneySettings = field(default_factory=MoneySettings)
    timezone: str = "Asia/Jakarta"  # TIMEZONE: the shop's clock, as customers read times
    clock: Callable[[], float] = time.time
    _methods: dict[str, tuple[float, Any]] = field(default_factory=dict)

    def method(self, code: str) -> Any:
        """Atlantic's deposit method (fee table), cached for ten minutes per instance."""
        code = code.upper()
        cached = self._methods.get(code)
        if cached and cached[0] > self.clock():
            return cached[1]
        found = next((m for m in self.supplier.deposit_methods(method=code) if m.code.upper() == code), None)
        if found is None or not found.active:
            raise SupplierError(f"deposit method {code} is not available")
        self._methods[code] = (self.clock() + 600, found)
        return found

    def for_turn(self, lease: Any) -> Shop:
        """This shop as one turn uses it: supplier calls keep the turn's lease (``services.lease``)."""
        from shared.services.lease import LeasedSupplier

        return replace(self, supplier=LeasedSupplier(self.supplier, lease))  # type: ignore[arg-type]

    def deposit_range(self, code: str) -> tuple[int, int]:
        """The saldo a deposit by method ``code`` can add: the seller's limits, narrowed to what the
        method takes once its fee is added on top."""
        info = self.method(code)
        low, high = self.settings.deposit_min, self.settings.deposit_max
        if info.max:
            top = info.max - method_fee(info.max, info.fee, info.fee_percent)
            while top > 0 and gross_for_net(top, info.fee, info.fee_percent)[0] > info.max:
                top -= 1
            high = min(high, top)
        if info.min:
            low = max(low, info.min)
        return low, high
