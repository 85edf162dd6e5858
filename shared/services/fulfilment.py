"""Fulfilment: submitting paid orders to Atlantic exactly once, and applying its final answer.

- an order is marked ``processing`` *before* ``transaksi/create`` is sent, with ``reff_id`` = our
  order ref and ``limit_price`` = the quoted cost, so a retry can only ever resubmit the same
  reference (Atlantic refuses a duplicate ``reff_id``);
- a refusal on the *first* submission is final (nothing was created): the order fails and the
  customer gets back all they paid; on a resubmission no error is final — only a status answer or
  a callback may end the order, otherwise we could refund *and* deliver;
- network errors, timeouts and a drained Atlantic balance leave the order ``processing`` for the
  reconciler; one that stays unresolved is escalated to the admins, never auto-refunded;
- a status answer is applied only when it names our order; a final state Atlantic later
  contradicts (a reversal) moves no money: it is recorded on the order and the admins are told once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from shared.domain import replies
from shared.domain.orders import Order
from shared.errors import DuplicateReference, SupplierBalanceInsufficient, SupplierError, SupplierUnavailable
from shared.services.shop import Shop

if TYPE_CHECKING:
    from shared.domain.supplier import BillPayment, Transaction

log = logging.getLogger(__name__)


def fulfil(shop: Shop, ref: str, *, resubmit: bool = False) -> Order:
    """Submit a paid order to Atlantic (or resubmit a ``processing`` one that never got an id)."""
    order = shop.orders.start_processing(ref, resubmit=resubmit)
    if order.outcome not in ("submit", "resubmit"):
        return order
    first = order.outcome == "submit"
    try:
        if order.kind == "pascabayar":
            result: Transaction | BillPayment = shop.supplier.pay_bill(order.code, ref, order.target)
        else:
            result = shop.supplier.create_transaction(order.code, ref, order.target, limit_price=order.cost)
    except DuplicateReference:
        log.info("order %s: Atlantic already has this reff_id; waiting for its callback", ref)
        return order
    except SupplierBalanceInsufficient as exc:
        log.error("order %s: the Atlantic balance cannot pay it (%s); it waits for a top-up", ref, exc)
        return order
    except SupplierUnavailable as exc:
        log.warning("order %s: submission outcome unknown (%s); the reconciler resubmits it", ref, exc)
        return order
    except SupplierError as exc:
        if not first:  # a resubmission's error is never final
            log.warning("order %s: resubmission refused (%s); waiting for a status or callback", ref, exc)
            return order
        log.warning("order %s: refused by Atlantic (%s); refunding", ref, exc)
        return settle_order(shop, ref, "failed", reason=_reason(exc))
    order = shop.orders.record_submission(ref, result.id, result.status)
    if result.final:
        return settle_order(shop, ref, result.status, sn=result.sn, reason=getattr(result, "message", None),
                            atlantic_id=result.id)
    return order


def transaction_matches(order: Order, trx: Transaction, atlantic_id: str) -> bool:
    """Whether Atlantic's status answer is about this order: the id we asked for, and our ref
    (when the answer names no ref, its product code must be ours)."""
    if trx.id not in (None, atlantic_id):
        return False
    if trx.reff_id is not None:
        return trx.reff_id == order.ref
    return trx.code is not None and trx.code == order.code


def check_order(shop: Shop, order: Order) -> Order:
    """Ask Atlantic how an order with a known id stands and apply the answer (a final order that
    Atlantic now reports differently is recorded as a reversal)."""
    atlantic_id = order.atlantic_id or ""
    trx = shop.supplier.transaction_status(atlantic_id, order.kind)
    if not transaction_matches(order, trx, atlantic_id):
        log.error("order %s: Atlantic's status for %s names another transaction", order.ref, atlantic_id)
        return order
    if not trx.final:
        return order
    return settle_order(shop, order.ref, trx.status, sn=trx.sn, reason=trx.message, atlantic_id=atlantic_id)


def settle_order(shop: Shop, ref: str, status: str, *, sn: str | None = None, reason: str | None = None,
                 atlantic_id: str | None = None) -> Order:
    final = "success" if status == "success" else "failed"
    order = shop.orders.finish(ref, final, sn=sn, reason=reason, atlantic_id=atlantic_id)
    if order.outcome == "success":
        shop.notifier.customer(order.customer_id, replies.receipt(order, zone=shop.timezone,
                                                                  lang=shop.notifier.lang(order.customer_id)))
    elif order.outcome == "refunded":
        shop.notifier.customer(order.customer_id, replies.failed_refunded(order,
                                                                          lang=shop.notifier.lang(order.customer_id)))
    elif order.outcome == "conflict":  # a reversal, recorded once: no money moves, a human decides
        log.error("order %s is %s but Atlantic now says %s: recorded, admins alerted", ref, order.status, final)
        shop.notifier.admins(shop.settings.admin_wa_ids, replies.admin_conflict(order, final))
    return order


def _reason(exc: SupplierError) -> str:
    """The failure reason stored with the order (customer-readable: see ``replies.failure_reason``)."""
    from shared.errors import InvalidTarget, PriceAboveLimit, SupplierProductUnavailable

    if isinstance(exc, InvalidTarget):
        return replies.failure_reason("invalid_target")
    if isinstance(exc, PriceAboveLimit):
        return replies.failure_reason("price_changed")
    if isinstance(exc, SupplierProductUnavailable):
        return replies.failure_reason("product_unavailable")
    return replies.failure_reason("refused")

