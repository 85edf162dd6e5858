"""Paying and fulfilling: QRIS checkouts, deposits, provider transactions, and the notifications
they cause. Shared by the turn (pay from saldo, start a QRIS), the Atlantic callback and the
reconciler, so each transition has one implementation.

Exactly-once rules (design §2, issue "orders and money"):

- an order is marked ``processing`` *before* ``transaksi/create`` is sent, with ``reff_id`` = our
  order ref and ``limit_price`` = the quoted cost, so a retry can only ever resubmit the same
  reference (Atlantic refuses a duplicate ``reff_id``);
- a refusal on the *first* submission is final (nothing was created): the order fails and the
  price returns to saldo; on a resubmission no error is final — only a status answer or a callback
  may end the order, otherwise we could refund *and* deliver;
- network errors, timeouts and a drained Atlantic balance leave the order ``processing`` for the
  reconciler; one that stays unresolved is escalated to the admins, never auto-refunded;
- money is credited from Atlantic's *re-queried* deposit status only, never from a callback body;
  a status answer is applied only when it names the object we asked about (our ref);
- a final state Atlantic later contradicts (a reversal) moves no money: it is recorded on the order
  and the admins are told once;
- an order that is not delivered gives back all the customer paid for it: the price, and the QRIS
  fee they paid on top (a ledger row of its own).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from shared.domain import replies
from shared.domain.orders import Order, Payment, gross_for_net, plan_checkout, provider_fee
from shared.domain.provider import BillPayment, Deposit, Transaction
from shared.domain.turns import OutboxAck, OutboxItem
from shared.errors import (
    AmountOutOfRange,
    DuplicateReference,
    ProviderBalanceInsufficient,
    ProviderError,
    ProviderUnavailable,
)
from shared.ports import Messenger, Orders, Provider, Store

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
        acks = []
        for item in outbox:
            try:
                acks.append(OutboxAck(item.id, wamid=self.messenger.send(item)))
            except Exception as exc:  # the row stays pending with a backoff
                log.warning("sending outbox %s failed: %s", item.id, exc)
                acks.append(OutboxAck(item.id, error=str(exc)[:300]))
        self.store.ack_outbox(acks)

    def customer(self, customer_id: int, text: str, **payload: Any) -> None:
        self.send([{"customer_id": customer_id, "text": text, "payload": payload}])

    def admins(self, admin_ids: Sequence[str], text: str) -> None:
        if not admin_ids:
            log.warning("no ADMIN_WA_IDS to tell: %s", text)
            return
        self.send([{"wa_id": wa_id, "text": text} for wa_id in admin_ids])


@dataclass
class Shop:
    """What money work needs."""

    orders: Orders
    provider: Provider
    notifier: Notifier
    settings: MoneySettings = field(default_factory=MoneySettings)
    clock: Callable[[], float] = time.time
    _methods: dict[str, tuple[float, Any]] = field(default_factory=dict)

    def method(self, code: str) -> Any:
        """Atlantic's deposit method (fee table), cached for ten minutes per instance."""
        code = code.upper()
        cached = self._methods.get(code)
        if cached and cached[0] > self.clock():
            return cached[1]
        found = next((m for m in self.provider.deposit_methods(method=code) if m.code.upper() == code), None)
        if found is None or not found.active:
            raise ProviderError(f"deposit method {code} is not available")
        self._methods[code] = (self.clock() + 600, found)
        return found

    def for_turn(self, lease: Any) -> Shop:
        """This shop as one turn uses it: provider calls keep the turn's lease (``services.lease``)."""
        from shared.services.lease import LeasedProvider

        return replace(self, provider=LeasedProvider(self.provider, lease))  # type: ignore[arg-type]

    def deposit_range(self, code: str) -> tuple[int, int]:
        """The saldo a deposit by method ``code`` can add: the seller's limits, narrowed to what the
        method takes once its fee is added on top."""
        info = self.method(code)
        low, high = self.settings.deposit_min, self.settings.deposit_max
        if info.max:
            top = info.max - provider_fee(info.max, info.fee, info.fee_percent)
            while top > 0 and gross_for_net(top, info.fee, info.fee_percent)[0] > info.max:
                top -= 1
            high = min(high, top)
        if info.min:
            low = max(low, info.min)
        return low, high


# -- checkouts ----------------------------------------------------------------------------------

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
        deposit = shop.provider.create_deposit(payment.ref, gross, info.code, type=info.type or "ewallet",
                                               phone=phone)
    except ProviderError:
        shop.orders.settle_payment(payment.ref, "failed")
        raise
    ours = datetime.now(timezone.utc) + timedelta(seconds=shop.settings.qris_ttl_seconds)
    expires = min(deposit.expires_at, ours) if deposit.expires_at and kind == "order" else (deposit.expires_at or ours)
    return shop.orders.attach_deposit(payment.ref, deposit.id or "", qr_string=deposit.qr_string,
                                      url=deposit.url or deposit.account_number, expires_at=expires,
                                      payload={"bank": deposit.bank, "account_name": deposit.account_name})


def checkout_message(payment: Payment, *, purpose: str) -> dict[str, Any]:
    """The outbound message for a checkout: an image rendered from the QRIS string, or a link."""
    data = {"ref": payment.ref, "amount": payment.amount, "fee": payment.fee, "fee_payer": payment.fee_payer,
            "expires_at": payment.expires_at, "qr_string": payment.qr_string, "url": payment.url}
    text = replies.checkout(data, purpose=purpose)
    if payment.qr_string:
        return {"kind": "image", "text": text, "payload": {"qr_string": payment.qr_string, "caption": text}}
    return {"kind": "text", "text": text, "payload": {}}


def refresh_payment(shop: Shop, payment: Payment) -> Payment:
    """Ask Atlantic how the payment stands and apply *that* answer; cancel an expired unpaid one."""
    if payment.status != "pending" or not payment.atlantic_id:
        return payment
    return apply_deposit(shop, payment, shop.provider.deposit_status(payment.atlantic_id))


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
            status = shop.provider.cancel_deposit(payment.atlantic_id).status
        except ProviderError as exc:  # paid at the last second, or already closed: ask again
            log.info("cancelling deposit %s: %s", payment.ref, exc)
            status = shop.provider.deposit_status(payment.atlantic_id).status
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
    data = {"ref": payment.ref, "amount": payment.amount, "credited": payment.credited}
    if payment.outcome != "paid" and payment.outcome != "closed":
        return
    if payment.outcome == "closed":
        shop.notifier.customer(payment.customer_id, replies.checkout_expired(data))
        return
    if payment.kind == "deposit":
        shop.notifier.customer(payment.customer_id, replies.deposit_received(data, payment.saldo))
        return
    if payment.paid:
        shop.notifier.customer(payment.customer_id, replies.payment_received(data, list(payment.paid)))
    if payment.stranded:
        shop.notifier.customer(payment.customer_id, replies.late_payment(data, list(payment.stranded), payment.saldo))
    for ref in payment.paid:
        fulfil(shop, ref)


# -- fulfilment ---------------------------------------------------------------------------------------

def fulfil(shop: Shop, ref: str, *, resubmit: bool = False) -> Order:
    """Submit a paid order to Atlantic (or resubmit a ``processing`` one that never got an id)."""
    order = shop.orders.start_processing(ref, resubmit=resubmit)
    if order.outcome not in ("submit", "resubmit"):
        return order
    first = order.outcome == "submit"
    try:
        if order.kind == "pascabayar":
            result: Transaction | BillPayment = shop.provider.pay_bill(order.code, ref, order.target)
        else:
            result = shop.provider.create_transaction(order.code, ref, order.target, limit_price=order.cost)
    except DuplicateReference:
        log.info("order %s: Atlantic already has this reff_id; waiting for its callback", ref)
        return order
    except ProviderBalanceInsufficient as exc:
        log.error("order %s: the Atlantic balance cannot pay it (%s); it waits for a top-up", ref, exc)
        return order
    except ProviderUnavailable as exc:
        log.warning("order %s: submission outcome unknown (%s); the reconciler resubmits it", ref, exc)
        return order
    except ProviderError as exc:
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
    trx = shop.provider.transaction_status(atlantic_id, order.kind)
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
    data = _order_data(order)
    if order.outcome == "success":
        shop.notifier.customer(order.customer_id, replies.receipt(data))
    elif order.outcome == "refunded":
        shop.notifier.customer(order.customer_id, replies.failed_refunded(data))
    elif order.outcome == "conflict":  # a reversal, recorded once: no money moves, a human decides
        log.error("order %s is %s but Atlantic now says %s: recorded, admins alerted", ref, order.status, final)
        shop.notifier.admins(shop.settings.admin_wa_ids, replies.admin_conflict(data, final))
    return order


def _reason(exc: ProviderError) -> str:
    from shared.errors import InvalidTarget, PriceAboveLimit, ProductUnavailable

    if isinstance(exc, InvalidTarget):
        return "nomor tujuan tidak valid"
    if isinstance(exc, PriceAboveLimit):
        return "harga dari operator berubah"
    if isinstance(exc, ProductUnavailable):
        return "produk sedang gangguan"
    return "ditolak operator"


def _order_data(order: Order) -> dict[str, Any]:
    return {"ref": order.ref, "name": order.name, "target": order.target, "price": order.price, "sn": order.sn,
            "category": order.category, "status": order.status, "finished_at": order.finished_at,
            "failure_reason": order.failure_reason, "atlantic_id": order.atlantic_id, "fee_paid": order.fee_paid}
