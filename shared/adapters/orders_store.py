"""The Orders port over any data transport: quotes, confirmation, cancellation, recent orders."""

from __future__ import annotations

from shared.domain.orders import Order
from shared.ports import Rpc


class SqlOrders:
    """Implements :class:`shared.ports.Orders` on top of an :class:`shared.ports.Rpc`."""

    def __init__(self, rpc: Rpc, *, quote_ttl_seconds: int = 900) -> None:
        self.rpc = rpc
        self.quote_ttl_seconds = quote_ttl_seconds

    def create_quote(self, customer_id: int, product_code: str, target: str, *,
                     replace_ref: str | None = None) -> Order:
        return Order.from_json(self.rpc.call("create_quote", {
            "p_customer_id": customer_id, "p_product_code": product_code, "p_target": target,
            "p_ttl_seconds": self.quote_ttl_seconds, "p_replace_ref": replace_ref}))

    def confirm(self, customer_id: int, ref: str) -> Order:
        return Order.from_json(self.rpc.call("confirm_order", {"p_customer_id": customer_id, "p_ref": ref}))

    def cancel(self, customer_id: int, ref: str) -> Order:
        return Order.from_json(self.rpc.call("cancel_order", {"p_customer_id": customer_id, "p_ref": ref}))

    def recent(self, customer_id: int, *, ref: str | None = None, limit: int = 3) -> list[Order]:
        rows = self.rpc.call("recent_orders", {"p_customer_id": customer_id, "p_ref": ref, "p_limit": limit})
        return [Order.from_json(r) for r in rows]
