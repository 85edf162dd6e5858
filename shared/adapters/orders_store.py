"""The Orders port over any data transport: the order state machine, payments, and the
reconciler's claims and outbox sweep — one SQL function call per method."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from shared.domain.orders import Confirmation, Order, Payment
from shared.domain.turns import OutboxItem
from shared.ports import Rpc


def _outbox(rows: list[dict[str, Any]]) -> list[OutboxItem]:
    return [OutboxItem(id=o["id"], message_id=o["message_id"], wa_id=o.get("wa_id"), user_id=o.get("user_id"),
                       kind=o["kind"], text=o.get("text"), payload=o.get("payload") or {},
                       window_open=o.get("window_open") is not False) for o in rows]


class SqlOrders:
    """Implements :class:`shared.ports.Orders` on top of an :class:`shared.ports.Rpc`."""

    def __init__(self, rpc: Rpc, *, quote_ttl_seconds: int = 900, duplicate_seconds: int = 600) -> None:
        self.rpc = rpc
        self.quote_ttl_seconds = quote_ttl_seconds
        self.duplicate_seconds = duplicate_seconds

    # -- quotes and confirmation -------------------------------------------------------------------

    def reserve_ref(self) -> str:
        return self.rpc.call("reserve_order_ref", {})["ref"]

    def create_quote(self, customer_id: int, product_code: str, target: str, *, replace_ref: str | None = None,
                     batch: str | None = None, ref: str | None = None, bill: dict[str, Any] | None = None) -> Order:
        return Order.from_json(self.rpc.call("create_quote", {
            "p_customer_id": customer_id, "p_product_code": product_code, "p_target": target,
            "p_ttl_seconds": self.quote_ttl_seconds, "p_replace_ref": replace_ref, "p_batch": batch,
            "p_dup_seconds": self.duplicate_seconds, "p_ref": ref, "p_bill": bill}))

    def confirm(self, customer_id: int, refs: Sequence[str], *, method: str = "saldo") -> Confirmation:
        out = self.rpc.call("confirm_orders", {"p_customer_id": customer_id, "p_refs": list(refs), "p_method": method})
        return Confirmation(out["outcome"], tuple(Order.from_json(o) for o in out["orders"]), int(out["total"]),
                            int(out["saldo"]), out.get("payment"))

    def cancel(self, customer_id: int, ref: str) -> Order:
        return Order.from_json(self.rpc.call("cancel_order", {"p_customer_id": customer_id, "p_ref": ref}))

    def recent(self, customer_id: int, *, ref: str | None = None, limit: int = 3) -> list[Order]:
        rows = self.rpc.call("recent_orders", {"p_customer_id": customer_id, "p_ref": ref, "p_limit": limit})
        return [Order.from_json(r) for r in rows]

    def ledger(self, customer_id: int, *, limit: int = 5) -> list[dict[str, Any]]:
        return list(self.rpc.call("recent_ledger", {"p_customer_id": customer_id, "p_limit": limit}))

    def customer_lang(self, customer_id: int) -> str:
        return str(self.rpc.call("customer_lang", {"p_customer_id": customer_id}) or "id")

    def find(self, *, ref: str | None = None, atlantic_id: str | None = None) -> Order | None:
        row = self.rpc.call("find_order", {"p_ref": ref, "p_atlantic_id": atlantic_id})
        return Order.from_json(row) if row else None

    # -- payments -----------------------------------------------------------------------------------

    def create_payment(self, customer_id: int, kind: str, method: str, amount: int, fee: int, fee_payer: str,
                       refs: Sequence[str] = ()) -> Payment:
        return Payment.from_json(self.rpc.call("create_payment", {
            "p_customer_id": customer_id, "p_kind": kind, "p_method": method, "p_amount": amount, "p_fee": fee,
            "p_fee_payer": fee_payer, "p_refs": list(refs)}))

    def attach_deposit(self, payment_ref: str, atlantic_id: str, *, qr_string: str | None, url: str | None,
                       expires_at: datetime | None, payload: dict[str, Any] | None = None) -> Payment:
        return Payment.from_json(self.rpc.call("attach_deposit", {
            "p_payment_ref": payment_ref, "p_atlantic_id": atlantic_id, "p_qr_string": qr_string, "p_url": url,
            "p_expires_at": expires_at.isoformat() if expires_at else None, "p_payload": payload or {}}))

    def settle_payment(self, payment_ref: str, status: str, *, net: int | None = None) -> Payment:
        return Payment.from_json(self.rpc.call("settle_payment", {
            "p_payment_ref": payment_ref, "p_status": status, "p_net": net}))

    def find_payment(self, *, ref: str | None = None, atlantic_id: str | None = None) -> Payment | None:
        row = self.rpc.call("find_payment", {"p_ref": ref, "p_atlantic_id": atlantic_id})
        return Payment.from_json(row) if row else None

    # -- fulfilment ---------------------------------------------------------------------------------

    def start_processing(self, ref: str, *, resubmit: bool = False) -> Order:
        return Order.from_json(self.rpc.call("start_processing", {"p_ref": ref, "p_resubmit": resubmit}))

    def record_submission(self, ref: str, atlantic_id: str | None, supplier_status: str | None) -> Order:
        return Order.from_json(self.rpc.call("record_submission", {
            "p_ref": ref, "p_atlantic_id": atlantic_id, "p_supplier_status": supplier_status}))

    def finish(self, ref: str, status: str, *, sn: str | None = None, reason: str | None = None,
               atlantic_id: str | None = None) -> Order:
        return Order.from_json(self.rpc.call("finish_order", {
            "p_ref": ref, "p_status": status, "p_sn": sn, "p_reason": reason, "p_atlantic_id": atlantic_id}))

    # -- the reconciler -------------------------------------------------------------------------------

    def expire_quotes(self) -> int:
        return int(self.rpc.call("expire_quotes", {})["expired"])

    def claim_payments(self, *, limit: int = 50, lease: int = 60, min_age: int = 30) -> list[Payment]:
        rows = self.rpc.call("claim_payments", {"p_limit": limit, "p_lease_seconds": lease, "p_min_age": min_age})
        return [Payment.from_json(r) for r in rows]

    def claim_submissions(self, *, limit: int = 50, lease: int = 60, min_age: int = 30) -> list[Order]:
        return self._orders("claim_submissions", {"p_limit": limit, "p_lease_seconds": lease, "p_min_age": min_age})

    def claim_checks(self, *, limit: int = 50, lease: int = 60, min_age: int = 30) -> list[Order]:
        return self._orders("claim_checks", {"p_limit": limit, "p_lease_seconds": lease, "p_min_age": min_age})

    def claim_pending_notices(self, *, limit: int = 50, min_age: int = 30) -> list[Order]:
        return self._orders("claim_pending_notices", {"p_limit": limit, "p_min_age": min_age})

    def claim_escalations(self, *, limit: int = 50, min_age: int = 30) -> list[Order]:
        return self._orders("claim_escalations", {"p_limit": limit, "p_min_age": min_age})

    def claim_rechecks(self, *, limit: int = 50, min_age: int = 30, window: int = 86400) -> list[Order]:
        return self._orders("claim_rechecks", {"p_limit": limit, "p_min_age": min_age, "p_window": window})

    def claim_events(self, *, limit: int = 50, lease: int = 60, min_age: int = 30,
                     window: int = 86400) -> list[dict[str, Any]]:
        return list(self.rpc.call("claim_events", {"p_limit": limit, "p_lease_seconds": lease, "p_min_age": min_age,
                                                   "p_window": window}))

    def _orders(self, fn: str, params: dict[str, Any]) -> list[Order]:
        return [Order.from_json(r) for r in self.rpc.call(fn, params)]

    def claim_job(self, name: str, every_seconds: int) -> bool:
        return bool(self.rpc.call("claim_job", {"p_name": name, "p_every_seconds": every_seconds})["claimed"])

    def enqueue(self, items: Sequence[dict[str, Any]]) -> list[OutboxItem]:
        return _outbox(self.rpc.call("enqueue_messages", {"p_items": list(items)}))

    def claim_outbox(self, *, limit: int = 50, older_than: int = 60, lease: int = 120) -> list[OutboxItem]:
        return _outbox(self.rpc.call("claim_outbox", {"p_limit": limit, "p_older_than": older_than,
                                                      "p_lease_seconds": lease}))

    def claim_failed_outbox(self, *, limit: int = 50) -> list[tuple[OutboxItem, dict[str, Any]]]:
        rows = self.rpc.call("claim_failed_outbox", {"p_limit": limit})
        return [(item, {"error_code": r.get("error_code"), "error": r.get("error"), "attempts": r.get("attempts")})
                for item, r in zip(_outbox(rows), rows)]
