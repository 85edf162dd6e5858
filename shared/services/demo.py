"""Demo actions for the terminal chat: play the customer paying a QRIS in the sandbox, and keep
the reconciler running so payments, deliveries and receipts arrive while you watch."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

log = logging.getLogger(__name__)


class Demo:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.last_payment: str | None = None
        self.customer_id: int | None = None
        self._stop = threading.Event()

    def remember(self, replies: list[Any]) -> None:
        for reply in replies:
            payment = reply.facts.get("payment")
            if payment and payment.get("ref"):
                self.last_payment = payment["ref"]
            self.customer_id = reply.facts.get("customer_id", self.customer_id)

    def command(self, line: str) -> str:
        name = line.split(" ", 1)[0]
        if name in ("/bayar", "/pay"):
            return self.pay()
        return "perintah: /bayar (bayar QRIS terakhir di sandbox)"

    def pay(self) -> str:
        sandbox = self.app.sandbox
        if sandbox is None:
            return "/bayar hanya ada di sandbox (tanpa ATLANTIC_API_KEY)"
        if not self.last_payment:
            return "belum ada QRIS yang menunggu dibayar"
        payment = self.app.orders.find_payment(ref=self.last_payment)
        if payment is None or payment.status != "pending":
            return f"{self.last_payment} tidak menunggu pembayaran"
        sandbox.pay(payment.atlantic_id)
        return f"QRIS {payment.ref} dibayar (Rp{payment.amount:,})".replace(",", ".")

    def receive_callbacks(self) -> None:
        """The sandbox's callbacks go straight to the callback handler, as ``atlantic_webhook``
        would receive them (a bill's payment is only learned from its callback)."""
        self.app.supplier  # noqa: B018  (starts the sandbox when that is the supplier)
        sandbox = self.app.sandbox
        if sandbox is None or sandbox.engine.settings.callback_url:
            return  # none, or a real webhook URL was configured (SANDBOX_CALLBACK_URL)

        def receive(headers: dict[str, str], body: dict[str, Any]) -> int:
            from shared.domain.supplier import Callback
            from shared.services import callbacks

            if not callbacks.signature_ok(headers.get("X-ATL-Signature"), self.app.callback_username()):
                return 401
            callbacks.handle(self.app.shop, self.app.store, Callback.parse(body), body)
            return 200

        sandbox.deliver_in_process(receive)

    def forget_stale(self) -> int:
        """The sandbox starts empty on every run while the embedded database keeps the earlier
        runs' QRIS: those can never be paid now, so they close as expired (and the reconciler stops
        asking the sandbox about deposits it never made). Returns how many."""
        self.app.supplier  # noqa: B018  (starts the sandbox when that is the supplier)
        sandbox = self.app.sandbox
        if sandbox is None:
            return 0
        stale = [p for p in self.app.orders.claim_payments(limit=1000, lease=1, min_age=0)
                 if p.atlantic_id not in sandbox.engine.deposits]
        for payment in stale:
            self.app.orders.settle_payment(payment.ref, "expired")
        return len(stale)

    def settle(self, replies: list[Any], timeout: float = 20.0) -> None:
        """Scripted mode: reconcile until this customer's orders stop moving (or ``timeout``)."""
        self.remember(replies)
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.app.reconcile()
            if not self._in_flight():
                return
            time.sleep(0.5)

    def _in_flight(self) -> bool:
        sandbox = self.app.sandbox
        if self.customer_id is None:
            return False
        orders = self.app.orders.recent(self.customer_id, limit=10)
        if any(o.status in ("paid", "processing") for o in orders):
            return True
        if sandbox is not None and self.last_payment:
            payment = self.app.orders.find_payment(ref=self.last_payment)
            deposit = sandbox.engine.deposits.get(payment.atlantic_id) if payment else None
            return bool(payment and payment.status == "pending" and deposit and deposit.status != "pending")
        return False

    def start_background(self) -> None:
        def loop() -> None:
            while not self._stop.wait(1.0):
                try:
                    self.app.reconcile()
                except Exception:
                    log.exception("demo reconcile failed")

        threading.Thread(target=loop, name="demo-reconcile", daemon=True).start()
