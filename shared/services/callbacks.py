"""Atlantic callbacks: recorded once, then the object is *re-queried* and that answer applied.

The ``X-ATL-Signature`` header is md5 of the account username — a static value anyone who knows the
username can forge — so the body only says *which* object to look at: what happened is asked of
Atlantic's status endpoints, keyed on (event, id, status) for idempotency.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from shared.domain.provider import Callback
from shared.ports import Store
from shared.services.money import Shop, check_order, refresh_payment

log = logging.getLogger(__name__)


def signature_ok(header: str | None, username: str) -> bool:
    """Constant-time, case-insensitive comparison with md5(username)."""
    if not header or not username:
        return False
    expected = hashlib.md5(username.encode()).hexdigest()
    return hmac.compare_digest(header.strip().lower().encode(), expected.encode())


def event_key(callback: Callback) -> str:
    data = callback.data
    return f"{callback.event}:{data.get('id') or data.get('reff_id')}:{callback.data_status}"


def record(store: Store, callback: Callback, raw: dict[str, Any]) -> Any:
    return store.record_event("atlantic", event_key(callback)[:300], raw)


IN_FLIGHT = ("pending", "processing")


def settled(outcome: str) -> bool:
    """Whether an event is done with: Atlantic confirmed a final state, or there is nothing to do.
    A claim Atlantic does not (yet) confirm stays open, so a forged "success" cannot use up the
    key of the real one."""
    return outcome not in IN_FLIGHT and outcome != "no_id"


def apply(shop: Shop, callback: Callback) -> str:
    """Re-query what the callback points at and apply Atlantic's answer; returns the resulting
    status (or why nothing was done)."""
    data = callback.data
    atlantic_id, ref = data.get("id"), data.get("reff_id")
    if callback.event.startswith("transaksi"):
        order = shop.orders.find(ref=ref, atlantic_id=atlantic_id)
        if order is None:
            log.warning("callback for an unknown order (ref %s, id %s)", ref, atlantic_id)
            return "unknown_order"
        if order.status != "processing":
            return f"already_{order.status}"
        if atlantic_id and not order.atlantic_id:  # a resubmitted order learns its id here
            order = shop.orders.record_submission(order.ref, str(atlantic_id), None)
        if not order.atlantic_id:
            return "no_id"
        return check_order(shop, order).status
    if callback.event.startswith("deposit"):
        payment = shop.orders.find_payment(ref=ref, atlantic_id=atlantic_id)
        if payment is None:
            log.warning("callback for an unknown deposit (ref %s, id %s)", ref, atlantic_id)
            return "unknown_payment"
        return refresh_payment(shop, payment).status
    return "ignored"
