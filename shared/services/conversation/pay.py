"""Paying inside a turn: the QRIS checkout for confirmed orders (shown once, shown again on a second
"ya"), "pakai saldo" / "qris" / "sudah bayar" while something waits for payment, and deposits.

Paying from saldo happens in the confirming transaction (:mod:`.buy`); the paid orders are
fulfilled right after the turn's replies are sent.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from shared.domain import targets
from shared.domain.orders import Order
from shared.domain.state import Awaiting, DepositAsk
from shared.domain.turns import OutboundMessage
from shared.errors import AmountOutOfRange, SupplierError
from shared.services.conversation.context import TurnContext, order_facts
from shared.services.payments import checkout_message, refresh_payment, start_checkout

log = logging.getLogger(__name__)

QRIS_WORDS = re.compile(r"\b(qris|qr|scan)\b")
SALDO_WORDS = re.compile(r"\b(pakai|pake|dari|bayar|pay with|use( my)?|from( my)?)\s+saldo\b|\b(pay with|use)( my)? balance\b")
PAID_WORDS = re.compile(r"\b(sudah|udah|udh|sdh|dah)\s+(?:(?:aku|saya|gue|gw|ku)\s+)?(bayar|dibayar|transfer|tf|scan|"
                        r"lunas)\b|\bcek\s+pembayaran\b|\b(already paid|i paid|i have paid|paid already|i've paid|"
                        r"did it go through|has it gone through|payment done)\b")
DEPOSIT_METHODS = ("QRIS", "DANA", "OVO", "SHOPEEPAY", "LINKAJA", "BCA", "BRI")


def method_in(text: str) -> str | None:
    """"pakai saldo" / "bayar qris" said in a message: how the customer wants to pay."""
    lowered = text.lower()
    if SALDO_WORDS.search(lowered):
        return "saldo"
    if QRIS_WORDS.search(lowered):
        return "qris"
    return None


def _send(turn: TurnContext, message: dict[str, Any]) -> None:
    if message["kind"] == "image":
        turn.out.append(OutboundMessage(text=message["text"], kind="image", payload=message["payload"]))
    else:
        turn.say(message["text"])


def _payment_facts(payment: Any, **more: Any) -> dict[str, Any]:
    return {"ref": payment.ref, "amount": payment.amount, "fee": payment.fee, "method": payment.method, **more}


def resend_checkout(turn: TurnContext) -> bool:
    """"ya" again while a QRIS waits: show the same one (never a second checkout for one order)."""
    shop = turn.shop
    payment = shop.orders.find_payment(ref=turn.state.awaiting.payment)
    if payment is None or payment.status != "pending":
        return False
    purpose = (turn.words.purpose_order(list(payment.orders)) if payment.orders
               else turn.words.purpose_deposit(payment.amount - payment.fee))
    message = checkout_message(payment, purpose=purpose, zone=shop.timezone, lang=turn.state.lang)
    turn.act("checkout", payment=_payment_facts(payment, resent=True))
    _send(turn, message)
    return True


def qris(turn: TurnContext, orders: list[Order], total: int) -> None:
    shop = turn.shop
    refs = tuple(o.ref for o in orders)
    turn.state.awaiting = Awaiting(refs, total)
    try:
        payment = start_checkout(shop, turn.customer.id, kind="order", orders=orders)
    except AmountOutOfRange as exc:
        turn.act("qris_out_of_range", products=[o.code for o in orders], order={"ref": refs[0]})
        turn.say(turn.words.qris_out_of_range(exc.detail, turn.customer.saldo))
        return
    except SupplierError as exc:
        log.warning("QRIS for %s failed: %s", list(refs), exc)
        turn.act("supplier_busy", products=[o.code for o in orders], order={"ref": refs[0]})
        turn.say(turn.words.supplier_busy())
        return
    turn.state.awaiting = Awaiting(refs, total, payment.ref)
    message = checkout_message(payment, purpose=turn.words.purpose_order(list(refs)), zone=shop.timezone,
                               lang=turn.state.lang)
    turn.act("checkout", products=[o.code for o in orders],
             order=order_facts(orders[0]), payment=_payment_facts(payment))
    _send(turn, message)


def check_payment(turn: TurnContext) -> bool:
    """"sudah bayar": ask Atlantic now instead of waiting for the callback."""
    shop, awaiting = turn.shop, turn.state.awaiting
    if not awaiting or not awaiting.payment:
        return False
    payment = shop.orders.find_payment(ref=awaiting.payment)
    if payment is None:
        return False
    was = payment.status
    settled = refresh_payment(shop, payment)  # tells the customer and fulfils if it went through
    if settled.status == "pending":
        turn.act("payment_pending", payment={"ref": settled.ref, "status": settled.status})
        turn.say(turn.words.payment_waiting(settled.ref))
        return True
    turn.state.awaiting = None
    turn.act("payment_" + settled.status, payment={"ref": settled.ref, "status": settled.status})
    if was != "pending" or settled.outcome == "already":  # settled before this turn: say how it stands
        turn.state.settled = list(settled.orders) or turn.state.settled
        orders = turn.deps.orders.recent(turn.customer.id, limit=5)
        mine = [o for o in orders if o.ref in settled.orders and o.paid_for]
        turn.say(turn.words.already_paid(mine) if mine else turn.words.payment_closed(settled.ref, settled.status))
    return True


def cancel_checkout(turn: TurnContext, payment_ref: str) -> None:
    shop = turn.shop
    payment = shop.orders.find_payment(ref=payment_ref)
    if payment is None or payment.status != "pending" or not payment.atlantic_id:
        return
    try:
        status = shop.supplier.cancel_deposit(payment.atlantic_id).status
        shop.orders.settle_payment(payment.ref, status)
    except SupplierError as exc:  # already paid? then the money lands in saldo when it settles
        log.info("cancelling checkout %s: %s", payment_ref, exc)


def deposit(turn: TurnContext, amount: int | None, method: str | None, *, phone: str | None = None) -> None:
    """Top up saldo: QRIS by default, an e-wallet link or a VA when asked. The method's limits (fee
    included) are checked before anything is created; OVO charges a phone number, asked for."""
    shop = turn.shop
    if not amount:
        turn.act("deposit_ask_amount")
        turn.say(turn.words.deposit_amount_needed())
        return
    code = method if method in DEPOSIT_METHODS else "QRIS"
    try:
        low, high = shop.deposit_range(code)
    except SupplierError as exc:
        log.warning("deposit method %s: %s", code, exc)
        turn.act("supplier_busy")
        turn.say(turn.words.supplier_busy())
        return
    if not low <= amount <= high:
        turn.state.deposit_for = None
        turn.act("deposit_out_of_range", method=code)
        turn.say(turn.words.deposit_out_of_range(code, amount, low, high))
        return
    if code == "OVO":
        phone = targets.normalize_phone(turn.own(phone)) if phone and turn.own(phone) else None
        if phone is None:
            turn.state.deposit_for = DepositAsk(amount, code)
            turn.act("deposit_ask_phone", method=code)
            turn.say(turn.words.deposit_ask_phone(code, amount))
            return
    turn.state.deposit_for = None
    try:
        payment = start_checkout(shop, turn.customer.id, kind="deposit", method=code, amount=amount,
                                 phone=phone if code == "OVO" else None)
    except AmountOutOfRange as exc:
        turn.act("deposit_out_of_range", method=code)
        turn.say(turn.words.deposit_out_of_range(code, amount, exc.detail.get("net_min", low),
                                                 exc.detail.get("net_max", high)))
        return
    except SupplierError as exc:
        log.warning("deposit checkout failed: %s", exc)
        turn.act("supplier_busy")
        turn.say(turn.words.deposit_refused(code) if not exc.retryable else turn.words.supplier_busy())
        return
    turn.state.awaiting = Awaiting((), amount, payment.ref, deposit=True)
    message = checkout_message(payment, purpose=turn.words.purpose_deposit(amount), zone=shop.timezone,
                               lang=turn.state.lang)
    turn.act("checkout", payment=_payment_facts(payment, kind="deposit"))
    _send(turn, message)
