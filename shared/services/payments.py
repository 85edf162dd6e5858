"""Payments: QRIS and e-wallet / VA checkouts for orders and deposits, Atlantic's word on them,
and what a settlement causes (the customer told, the paid orders fulfilled). Shared by the turn, the
Atlantic callback and the reconciler, so each transition has one implementation.

- a checkout outside its method's limits (fee included) is refused before anything is created;
- money is credited from Atlantic's *re-queried* deposit status only, never from a callback body,
  and only when the answer names the payment we asked about;
- a payment that settles pays its still-confirmed orders; what it cannot pay stays in saldo, and so
  does the QRIS fee of an order it did not buy.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Sequence

from shared.domain import replies
from shared.domain.orders import Order, Payment, gross_for_net, plan_checkout
from shared.errors import AmountOutOfRange, InvalidRequest, SupplierError
from shared.services.fulfilment import fulfil
from shared.services.shop import Shop

if TYPE_CHECKING:
    from shared.domain.supplier import Deposit

log = logging.getLogger(__name__)


def start_checkout(shop: Shop, customer_id: int, *, kind: str, method: str = "QRIS",
                   orders: Sequence[Order] = (), amount: int | None = None, phone: str | None = None) -> Payment:
    """A QRIS / e-wallet / VA checkout at Atlantic, for confirmed ``orders`` or for ``amount`` of saldo.

    Raises :class:`AmountOutOfRange` before anything is created when the amount to pay (fee
    included) is outside the method's limits (for a deposit, or outside the seller's limits).
    ``phone`` is the e-wallet account OVO charges."""
    info = shop.method(method)
    if kind == "order":
        total = sum(o.price for o in orders)
        margin = sum(o.price - (o.cost or o.price) for o in orders)
        plan = plan_checkout(total, margin, info.fee, info.fee_percent, shop.settings.qris_fee_payer)
        gross, fee, payer = plan.amount, plan.fee, plan.fee_payer
        if (info.max and gross > info.max) or (info.min and gross < info.min):
            raise AmountOutOfRange(f"{info.code} takes {info.min}..{info.max}, not {gross}",
                                   detail={"method": info.code, "amount": gross, "min": info.min, "max": info.max})
    else:
        net = int(amount or 0)
        low, high = shop.deposit_range(info.code)
        if not low <= net <= high:
            raise AmountOutOfRange(f"a {info.code} deposit adds {low}..{high}, not {net}",
                                   detail={"method": info.code, "amount": net, "min": info.min, "max": info.max,
                                           "net_min": low, "net_max": high})
        gross, fee = gross_for_net(net, info.fee, info.fee_percent)
        payer = "customer"
    payment = shop.orders.create_payment(customer_id, kind, info.code, gross, fee, payer, [o.ref for o in orders])
    try:
        deposit = shop.supplier.create_deposit(payment.ref, gross, info.code, type=info.type or "ewallet",
                                               phone=phone)
    except SupplierError:
        shop.orders.settle_payment(payment.ref, "failed")
        raise
    ours = datetime.now(timezone.utc) + timedelta(seconds=shop.settings.qris_ttl_seconds)
    expires = min(deposit.expires_at, ours) if deposit.expires_at and kind == "order" else (deposit.expires_at or ours)
    return shop.orders.attach_deposit(payment.ref, deposit.id or "", qr_string=deposit.qr_string,
                                      url=deposit.url or deposit.account_number, expires_at=expires,
                                      payload={"bank": deposit.bank, "account_name": deposit.account_name})


def checkout_message(payment: Payment, *, purpose: str, zone: str, lang: str = "id") -> dict[str, Any]:
    """The outbound message for a checkout: an image rendered from the QRIS string, or a link;
    its expiry on the shop's clock (``zone``). ``purpose`` is ``replies.purpose_order`` /
    ``replies.purpose_deposit`` in the same ``lang``."""
    text = replies.checkout(payment, purpose=purpose, zone=zone, lang=lang)
    if payment.qr_string:
        return {"kind": "image", "text": text, "payload": {"qr_string": payment.qr_string, "caption": text}}
    return {"kind": "text", "text": text, "payload": {}}


def refresh_payment(shop: Shop, payment: Payment) -> Payment:
    """Ask Atlantic how the payment stands and apply *that* answer; cancel an expired unpaid one."""
    if payment.status != "pending" or not payment.atlantic_id:
        return payment
    try:
        deposit = shop.supplier.deposit_status(payment.atlantic_id)
    except InvalidRequest:
        if payment.expires_at is None or payment.expires_at.timestamp() > shop.clock():
            raise
        # Atlantic does not know it and its time is up: it can never be paid; stop asking
        log.warning("deposit %s is unknown at Atlantic and expired: closed as expired", payment.ref)
        settled = shop.orders.settle_payment(payment.ref, "expired")
        after_settlement(shop, settled)
        return settled
    return apply_deposit(shop, payment, deposit)


def deposit_matches(payment: Payment, deposit: Deposit) -> bool:
    """Whether Atlantic's answer is about this payment (its id, and our ref when it names one)."""
    return (deposit.id in (None, payment.atlantic_id)) and (deposit.reff_id in (None, payment.ref))


def apply_deposit(shop: Shop, payment: Payment, deposit: Deposit) -> Payment:
    """Apply Atlantic's status answer for ``payment`` (cancelling it at Atlantic once it expired
    unpaid), then tell the customer and fulfil what it paid for."""
    if not deposit_matches(payment, deposit):
        log.warning("deposit status for %s names another deposit; ignored", payment.ref)
        return payment
    status = deposit.status
    expired = payment.expires_at is not None and payment.expires_at.timestamp() <= shop.clock()
    if status == "pending" and expired:
        try:
            status = shop.supplier.cancel_deposit(payment.atlantic_id).status
        except SupplierError as exc:  # paid at the last second, or already closed: ask again
            log.info("cancelling deposit %s: %s", payment.ref, exc)
            status = shop.supplier.deposit_status(payment.atlantic_id).status
    if status == "success":
        settled = shop.orders.settle_payment(payment.ref, "success", net=deposit.net)
    elif status in ("expired", "cancel", "cancelled", "failed"):
        settled = shop.orders.settle_payment(payment.ref, status)
    else:
        return payment
    after_settlement(shop, settled)
    return settled


def after_settlement(shop: Shop, payment: Payment) -> None:
    """Tell the customer, and fulfil what the payment paid for."""
    if payment.outcome != "paid" and payment.outcome != "closed":
        return
    lang = shop.notifier.lang(payment.customer_id)
    if payment.outcome == "closed":
        shop.notifier.customer(payment.customer_id, replies.checkout_expired(payment, lang=lang))
        return
    if payment.kind == "deposit":
        shop.notifier.customer(payment.customer_id, replies.deposit_received(payment, payment.saldo, lang=lang))
        return
    if payment.paid:
        shop.notifier.customer(payment.customer_id, replies.payment_received(payment, list(payment.paid), lang=lang))
    if payment.stranded:
        shop.notifier.customer(payment.customer_id,
                               replies.late_payment(payment, list(payment.stranded), payment.saldo, lang=lang))
    for ref in payment.paid:
        fulfil(shop, ref)
