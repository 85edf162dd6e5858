"""Atlantic callbacks: the body only says *which* object to look at; Atlantic's own status answer,
checked against our reference, says what happened.

The ``X-ATL-Signature`` header is md5 of the account username — a static value anyone who knows the
username can forge — so nothing from a callback body is written to an order or a payment:

1. find our order (or payment) by the body's ref, else by its id; an unknown one, or an order that
   was never submitted to Atlantic, ends here with nothing written;
2. ask Atlantic: by the id *we* recorded when we have one, else by the body's id — and keep the
   answer only if it names our ref (a guessed ref with a made-up id finds nothing at Atlantic);
3. only a confirmed final status is recorded (``webhook_events``, keyed on (event, id, status) as
   Atlantic states it) and applied once: a success delivers, a failure refunds, and a final status
   that contradicts ours is recorded as a reversal for the admins (no money moves);
4. when Atlantic cannot be asked right now and the body names an id we do not know yet (a bill
   payment learns its id only this way), the callback is kept unverified for the reconciler, which
   asks again later (:func:`recheck_events`).

:func:`handle` returns what happened; ``functions/atlantic_webhook`` maps it to a status code.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from shared.domain.orders import Order, Payment
from shared.domain.supplier import Callback, Transaction
from shared.errors import SupplierError, SupplierUnavailable
from shared.ports import Store
from shared.services.fulfilment import settle_order, transaction_matches
from shared.services.payments import apply_deposit, deposit_matches
from shared.services.shop import Shop

log = logging.getLogger(__name__)

SOURCE = "atlantic"

# what handle() may answer (all mean "200": the sender has nothing to retry)
APPLIED, REPLAY, PENDING, DEFERRED = "applied", "replay", "pending", "deferred"
UNKNOWN, NOT_SUBMITTED, MISMATCH, IGNORED = "unknown", "not_submitted", "mismatch", "ignored"


def signature_ok(header: str | None, username: str) -> bool:
    """Constant-time, case-insensitive comparison with md5(username)."""
    if not header or not username:
        return False
    expected = hashlib.md5(username.encode()).hexdigest()
    return hmac.compare_digest(header.strip().lower().encode(), expected.encode())


def handle(shop: Shop, store: Store, callback: Callback, body: dict[str, Any]) -> str:
    """Look the callback's object up, ask Atlantic, apply a confirmed final status once.

    Raises :class:`shared.errors.StoreUnavailable` when the database cannot be reached (the
    webhook answers 503 so Atlantic may retry); every other outcome is one of the names above."""
    if callback.event.startswith("transaksi"):
        return _transaction(shop, store, callback, body)
    if callback.event.startswith("deposit"):
        return _deposit(shop, store, callback, body)
    return IGNORED


def _order(shop: Shop, callback: Callback) -> Order | None:
    order = shop.orders.find(ref=callback.reff_id) if callback.reff_id else None
    if order is None and callback.id:
        order = shop.orders.find(atlantic_id=callback.id)
    return order


def _transaction(shop: Shop, store: Store, callback: Callback, body: dict[str, Any]) -> str:
    order = _order(shop, callback)
    if order is None:
        log.info("callback for an unknown order (ref %s)", callback.reff_id)
        return UNKNOWN
    if order.submit_attempts == 0 or order.status not in ("processing", "success", "refunded", "failed"):
        log.warning("callback for order %s, which was never submitted (%s): ignored", order.ref, order.status)
        return NOT_SUBMITTED
    asked = order.atlantic_id or callback.id
    if asked is None:
        return PENDING  # nothing to ask Atlantic about; the reconciler resubmits or checks it
    if order.atlantic_id and callback.id and callback.id != order.atlantic_id:
        log.warning("callback for order %s names another transaction id: asking about ours", order.ref)
    try:
        trx = shop.supplier.transaction_status(asked, order.kind)
    except SupplierUnavailable as exc:
        if order.atlantic_id is None:  # the body's id is our only way to this order's outcome
            _keep_unverified(store, callback, body)
        log.warning("callback for order %s: Atlantic unreachable (%s); deferred", order.ref, exc)
        return DEFERRED
    except SupplierError as exc:  # Atlantic does not know that id: a forgery, or a mix-up
        log.warning("callback for order %s: Atlantic refuses id (%s); ignored", order.ref, exc)
        return MISMATCH
    if not transaction_matches(order, trx, asked):
        log.warning("callback for order %s: Atlantic's transaction is not ours; ignored", order.ref)
        return MISMATCH
    if order.atlantic_id is None and order.status == "processing":
        # Atlantic confirmed that this id is our order (a resubmitted or postpaid one learns it here)
        order = shop.orders.record_submission(order.ref, asked, trx.status)
    if not trx.final:
        return PENDING
    return _apply_once(store, f"{callback.event}:{asked}:{trx.status}", body, _atlantic(trx),
                       lambda: settle_order(shop, order.ref, trx.status, sn=trx.sn, reason=trx.message,
                                            atlantic_id=asked).outcome)


def _deposit(shop: Shop, store: Store, callback: Callback, body: dict[str, Any]) -> str:
    payment: Payment | None = shop.orders.find_payment(ref=callback.reff_id) if callback.reff_id else None
    if payment is None and callback.id:
        payment = shop.orders.find_payment(atlantic_id=callback.id)
    if payment is None:
        log.info("callback for an unknown deposit (ref %s)", callback.reff_id)
        return UNKNOWN
    if payment.atlantic_id is None:
        return PENDING  # never created at Atlantic as far as we know; nothing to ask about
    if payment.status != "pending":
        return REPLAY  # settled already; deposits do not change after that
    try:
        deposit = shop.supplier.deposit_status(payment.atlantic_id)  # our id, never the body's
    except SupplierUnavailable as exc:
        log.warning("callback for payment %s: Atlantic unreachable (%s); the reconciler polls it", payment.ref, exc)
        return DEFERRED
    except SupplierError as exc:
        log.warning("callback for payment %s: Atlantic refuses our id (%s)", payment.ref, exc)
        return MISMATCH
    if not deposit_matches(payment, deposit):
        return MISMATCH
    if deposit.status not in ("success", "expired", "cancel", "cancelled", "failed"):
        return PENDING
    atlantic = {"id": deposit.id, "status": deposit.status, "net": deposit.net}
    return _apply_once(store, f"{callback.event}:{payment.atlantic_id}:{deposit.status}", body, atlantic,
                       lambda: apply_deposit(shop, payment, deposit).status)


def _atlantic(trx: Transaction) -> dict[str, Any]:
    return {"id": trx.id, "reff_id": trx.reff_id, "status": trx.status, "sn": trx.sn}


def _apply_once(store: Store, key: str, body: dict[str, Any], atlantic: dict[str, Any], apply: Any) -> str:
    """Record a confirmed event once and apply it; a replay of an applied one does nothing."""
    event = store.record_event(SOURCE, key[:300], {"body": body, "atlantic": atlantic})
    if event.applied_at is not None:
        return REPLAY
    result = apply()
    store.mark_event_applied(event.id)
    log.info("callback %s applied: %s", key, result)
    return APPLIED


def _keep_unverified(store: Store, callback: Callback, body: dict[str, Any]) -> None:
    key = f"unverified:{callback.event}:{callback.id}:{callback.reff_id}"
    store.record_event(SOURCE, key[:300], {"body": body, "unverified": True})


def recheck_events(shop: Shop, store: Store, *, min_age: int, window: int) -> int:
    """The reconciler's pass over callbacks kept unverified: ask Atlantic again; each is closed
    once Atlantic answered about it (whatever the answer), or retried on a later pass."""
    done = 0
    for row in shop.orders.claim_events(min_age=min_age, window=window):
        payload = row.get("payload") or {}
        try:
            callback = Callback.parse(payload.get("body"))
        except ValueError:
            store.mark_event_applied(row["id"], error="unreadable", retry=False)
            continue
        outcome = handle(shop, store, callback, payload["body"])
        if outcome == DEFERRED:
            store.mark_event_applied(row["id"], error="Atlantic still unreachable")
        else:
            store.mark_event_applied(row["id"], error=f"checked: {outcome}", retry=False)
            done += 1
    return done
