"""The buying half of a conversation: quotes (one or several targets, bills), the customer's own
confirmation, paying from saldo or by QRIS, deposits, payment checks and cancellation.

These run inside a turn (``shared.services.turn_context.TurnContext``); the model never reaches them
except through ``get_quote``. Paying from saldo happens in the confirming transaction; the paid
orders are fulfilled right after the turn's replies are sent.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from shared.domain import replies, targets
from shared.domain.orders import Order
from shared.domain.search import SearchQuery
from shared.errors import AmountOutOfRange, InvalidTarget, NotFound, ProductNotForSale, SupplierError
from shared.services.payments import checkout_message, refresh_payment, start_checkout
from shared.services.turn_context import TurnContext, order_json


log = logging.getLogger(__name__)

QRIS_WORDS = re.compile(r"\b(qris|qr|scan)\b")
SALDO_WORDS = re.compile(r"\b(pakai|pake|dari|bayar)\s+saldo\b")
PAID_WORDS = re.compile(r"\b(sudah|udah|udh|sdh|dah)\s+(bayar|transfer|tf|scan|lunas)\b|\bcek\s+pembayaran\b")


def _summary(order: Order) -> dict[str, Any]:
    return {"ref": order.ref, "price": order.price, "status": order.status, "target": order.target}


def quote(turn: TurnContext, item: dict[str, Any], raw_targets: list[str], *, replace_ref: str | None = None) -> None:
    """Quote ``item`` for one or several targets; one confirmation covers them all."""
    resolved = []
    for raw in raw_targets:
        if raw == targets.SELF and item["category"] not in ("pulsa", "data", "ewallet"):
            turn.act("bad_target", products=[item["code"]])  # a WhatsApp number is no meter or game id
            turn.say(replies.bad_target(item))
            return
        target = targets.self_phone(turn.customer.wa_id) if raw == targets.SELF else raw
        if target is None:
            turn.act("ask_target", products=[item["code"]])
            turn.say("Nomor WA kakak nggak kebaca 🙏 Ketik nomor tujuannya ya, contoh: _081234567890_")
            return
        if not targets.valid_for(target, item["category"], item.get("provider")):
            turn.act("bad_target", products=[item["code"]])
            turn.say(replies.bad_target(item))
            return
        resolved.append(target)
    batch = uuid.uuid4().hex[:12] if len(resolved) > 1 else None
    made: list[Order] = []
    try:
        for target in resolved:
            made.append(turn.deps.orders.create_quote(turn.customer.id, item["code"], target, batch=batch,
                                                      replace_ref=replace_ref if not made else None))
    except (ProductNotForSale, NotFound):
        turn.state.pick = None
        turn.act("product_gone", products=[item["code"]])
        turn.say(replies.product_gone())
        return
    _show_quotes(turn, made, item)


def _show_quotes(turn: TurnContext, made: list[Order], item: dict[str, Any]) -> None:
    turn.state.pick = None
    turn.state.awaiting = None
    turn.state.settled = []
    turn.state.deposit_for = None
    turn.state.quotes = [o.as_state() | {"recent_duplicate": o.recent_duplicate} for o in made]
    turn.state.targets[targets.kind_of_target(item["category"], item.get("provider"))] = made[-1].target
    first = made[0]
    turn.act("quote", products=[o.code for o in made], order=_summary(first),
             orders=[_summary(o) for o in made])
    ttl = turn.deps.limits.quote_ttl_minutes
    text = (replies.bill_quote(turn.state.quotes[0], ttl, turn.customer.saldo) if first.kind == "pascabayar"
            else replies.quote_batch(turn.state.quotes, ttl, turn.customer.saldo))
    total = sum(int(o.price) for o in made)
    turn.say(text, buttons=replies.quote_buttons(first.ref, saldo_covers=turn.customer.saldo >= total))


def confirm(turn: TurnContext, *, method: str | None = None) -> None:
    """The customer's own "ya" (or the quote's code, or the button): confirm, then pay.

    Safe to say twice: orders already paid are reported as paid (and being processed), never as
    expired and never charged again; a QRIS already waiting is shown again, never a second one."""
    quotes, awaiting = turn.state.quotes, turn.state.awaiting
    if not quotes and awaiting and awaiting.get("payment") and method != "saldo" and resend_checkout(turn):
        return
    refs = list(dict.fromkeys([q["ref"] for q in quotes] or list((awaiting or {}).get("refs") or [])))
    if not refs:
        if turn.state.settled:
            already_paid(turn)
            return
        turn.act("nothing_to_confirm")
        turn.say(replies.nothing_to_confirm())
        return
    total = sum(q["price"] for q in quotes) or int((awaiting or {}).get("total") or 0)
    method = method or ("saldo" if turn.customer.saldo >= total else "qris")
    result = turn.deps.orders.confirm(turn.customer.id, refs, method=method)
    turn.state.quotes = []
    ready = [o for o in result.orders if o.status in ("confirmed", "paid")]
    facts = _summary(result.orders[0])
    if result.outcome == "paid":
        waiting = (awaiting or {}).get("payment")
        turn.state.awaiting = None
        turn.state.settled = [o.ref for o in result.orders if o.paid_for]
        turn.fulfil += [o.ref for o in result.orders if o.status == "paid"]
        turn.act("paid", products=[o.code for o in result.orders], order=facts | {"status": "paid"})
        turn.say(replies.paid_from_saldo([{"ref": o.ref} for o in ready], result.saldo))
        if waiting:
            _cancel_checkout(turn, waiting)  # paid from saldo instead: the QRIS is no longer needed
    elif result.outcome == "already_paid":
        turn.state.awaiting = None
        turn.state.settled = [o.ref for o in result.orders if o.paid_for]
        turn.fulfil += [o.ref for o in result.orders if o.status == "paid"]  # a turn that died before submitting
        turn.act("already_paid", products=[o.code for o in result.orders], order=facts)
        turn.say(replies.already_paid([order_json(o) for o in result.orders if o.paid_for]))
    elif result.outcome == "awaiting_payment":
        turn.state.awaiting = {"refs": [o.ref for o in ready], "total": sum(o.price for o in ready),
                               "payment": result.payment}
        if not resend_checkout(turn):
            turn.act("payment_pending", order=facts)
            turn.say(replies.payment_waiting(result.payment))
    elif result.outcome == "expired":
        turn.state.awaiting = None
        turn.act("quote_expired", products=[o.code for o in result.orders], order=facts)
        turn.say(replies.quote_expired({"ref": result.orders[0].ref}))
    elif result.outcome == "insufficient_saldo":
        turn.state.awaiting = {"refs": [o.ref for o in ready], "total": result.total, "payment": None}
        turn.act("insufficient_saldo", products=[o.code for o in ready], order=facts, saldo=result.saldo)
        turn.say(replies.insufficient_saldo(result.total, result.saldo))
    else:
        qris(turn, ready, result.total)


def already_paid(turn: TurnContext) -> None:
    """A confirmation word, or "pakai saldo", for orders that were paid meanwhile."""
    orders = turn.settled_orders()
    turn.fulfil += [o["ref"] for o in orders if o.get("status") == "paid"]  # a turn that died before submitting
    turn.act("already_paid", orders=[o["ref"] for o in orders])
    turn.say(replies.already_paid(orders) if orders else replies.nothing_to_confirm())


def resend_checkout(turn: TurnContext) -> bool:
    """"ya" again while a QRIS waits: show the same one (never a second checkout for one order)."""
    shop = turn.shop
    payment = shop.orders.find_payment(ref=turn.state.awaiting["payment"])
    if payment is None or payment.status != "pending":
        return False
    message = checkout_message(payment, purpose="pesanan " + ", ".join(payment.orders) if payment.orders
                               else f"isi saldo {replies.rupiah(payment.amount - payment.fee)}", zone=shop.timezone)
    turn.act("checkout", payment={"ref": payment.ref, "amount": payment.amount, "fee": payment.fee,
                                  "method": payment.method, "resent": True})
    if message["kind"] == "image":
        turn.out.append(_image(message))
    else:
        turn.say(message["text"])
    return True


def qris(turn: TurnContext, orders: list[Order], total: int) -> None:
    shop = turn.shop
    turn.state.awaiting = {"refs": [o.ref for o in orders], "total": total, "payment": None}
    try:
        payment = start_checkout(shop, turn.customer.id, kind="order", orders=orders)
    except AmountOutOfRange as exc:
        turn.act("qris_out_of_range", products=[o.code for o in orders], order=_summary(orders[0]))
        turn.say(replies.qris_out_of_range(exc.detail, turn.customer.saldo))
        return
    except SupplierError as exc:
        log.warning("QRIS for %s failed: %s", [o.ref for o in orders], exc)
        turn.act("supplier_busy", products=[o.code for o in orders], order=_summary(orders[0]))
        turn.say(replies.supplier_busy())
        return
    turn.state.awaiting["payment"] = payment.ref
    message = checkout_message(payment, purpose="pesanan " + ", ".join(o.ref for o in orders), zone=shop.timezone)
    turn.act("checkout", products=[o.code for o in orders], order=_summary(orders[0]),
             payment={"ref": payment.ref, "amount": payment.amount, "fee": payment.fee, "method": payment.method})
    if message["kind"] == "image":
        turn.out.append(_image(message))
    else:
        turn.say(message["text"])


def _image(message: dict[str, Any]) -> Any:
    from shared.domain.turns import OutboundMessage

    return OutboundMessage(text=message["text"], kind="image", payload=message["payload"])


def choose_method(turn: TurnContext, text: str) -> bool:
    """"qris" / "pakai saldo" while a quote or a confirmed order waits for payment."""
    lowered = text.lower()
    if not (turn.state.quotes or turn.state.awaiting):
        if turn.state.settled and (SALDO_WORDS.search(lowered) or QRIS_WORDS.search(lowered)
                                   or PAID_WORDS.search(lowered)):
            already_paid(turn)  # "pakai saldo" after it was paid: nothing more to pay
            return True
        return False
    if QRIS_WORDS.search(lowered):
        if turn.state.awaiting and turn.state.awaiting.get("payment"):
            return check_payment(turn)
        confirm(turn, method="qris")
        return True
    if SALDO_WORDS.search(lowered):
        confirm(turn, method="saldo")
        return True
    if PAID_WORDS.search(lowered) and turn.state.awaiting:
        return check_payment(turn)
    return False


def check_payment(turn: TurnContext) -> bool:
    """"sudah bayar": ask Atlantic now instead of waiting for the callback."""
    shop, awaiting = turn.shop, turn.state.awaiting or {}
    if not awaiting.get("payment"):
        return False
    payment = shop.orders.find_payment(ref=awaiting["payment"])
    if payment is None:
        return False
    was = payment.status
    settled = refresh_payment(shop, payment)  # tells the customer and fulfils if it went through
    if settled.status == "pending":
        turn.act("payment_pending", payment={"ref": settled.ref, "status": settled.status})
        turn.say(replies.payment_waiting(settled.ref))
        return True
    turn.state.awaiting = None
    turn.act("payment_" + settled.status, payment={"ref": settled.ref, "status": settled.status})
    if was != "pending" or settled.outcome == "already":  # settled before this turn: say how it stands
        turn.state.settled = list(settled.orders) or turn.state.settled
        orders = turn.deps.orders.recent(turn.customer.id, limit=5)
        mine = [order_json(o) for o in orders if o.ref in settled.orders and o.paid_for]
        turn.say(replies.already_paid(mine) if mine else replies.payment_closed(settled.ref, settled.status))
    return True


def cancel(turn: TurnContext) -> None:
    refs = [q["ref"] for q in turn.state.quotes] or list((turn.state.awaiting or {}).get("refs") or [])
    turn.state.pick = None
    turn.state.want = None
    turn.state.deposit_for = None
    if not refs:
        turn.act("cancelled")
        turn.say(replies.cancelled(None))
        return
    results = [turn.deps.orders.cancel(turn.customer.id, ref) for ref in refs]
    payment = (turn.state.awaiting or {}).get("payment")
    turn.state.quotes, turn.state.awaiting = [], None
    if payment:
        _cancel_checkout(turn, payment)
    late = [o for o in results if o.outcome == "too_late"]
    if late:
        turn.act("status", order={"ref": late[0].ref, "status": late[0].status})
        turn.say(replies.cannot_cancel({"ref": late[0].ref}))
        return
    turn.act("cancelled", order={"ref": results[0].ref, "status": results[0].status})
    turn.say(replies.cancelled({"ref": ", ".join(o.ref for o in results)}))


def _cancel_checkout(turn: TurnContext, payment_ref: str) -> None:
    shop = turn.shop
    payment = shop.orders.find_payment(ref=payment_ref)
    if payment is None or payment.status != "pending" or not payment.atlantic_id:
        return
    try:
        status = shop.supplier.cancel_deposit(payment.atlantic_id).status
        shop.orders.settle_payment(payment.ref, status)
    except SupplierError as exc:  # already paid? then the money lands in saldo when it settles
        log.info("cancelling checkout %s: %s", payment_ref, exc)


DEPOSIT_METHODS = ("QRIS", "DANA", "OVO", "SHOPEEPAY", "LINKAJA", "BCA", "BRI")


def deposit(turn: TurnContext, amount: int | None, method: str | None, *, phone: str | None = None) -> None:
    """Top up saldo: QRIS by default, an e-wallet link or a VA when asked. The method's limits (fee
    included) are checked before anything is created; OVO charges a phone number, asked for."""
    shop = turn.shop
    if not amount:
        turn.act("deposit_ask_amount")
        turn.say(replies.deposit_amount_needed())
        return
    code = method if method in DEPOSIT_METHODS else "QRIS"
    try:
        low, high = shop.deposit_range(code)
    except SupplierError as exc:
        log.warning("deposit method %s: %s", code, exc)
        turn.act("supplier_busy")
        turn.say(replies.supplier_busy())
        return
    if not low <= amount <= high:
        turn.state.deposit_for = None
        turn.act("deposit_out_of_range", method=code)
        turn.say(replies.deposit_out_of_range(code, amount, low, high))
        return
    if code == "OVO":
        phone = targets.self_phone(turn.customer.wa_id) if phone == targets.SELF else phone
        phone = targets.normalize_phone(phone) if phone else None
        if phone is None:
            turn.state.deposit_for = {"amount": amount, "method": code}
            turn.act("deposit_ask_phone", method=code)
            turn.say(replies.deposit_ask_phone(code, amount))
            return
    turn.state.deposit_for = None
    try:
        payment = start_checkout(shop, turn.customer.id, kind="deposit", method=code, amount=amount,
                                 phone=phone if code == "OVO" else None)
    except AmountOutOfRange as exc:
        turn.act("deposit_out_of_range", method=code)
        turn.say(replies.deposit_out_of_range(code, amount, exc.detail.get("net_min", low), exc.detail.get("net_max", high)))
        return
    except SupplierError as exc:
        log.warning("deposit checkout failed: %s", exc)
        turn.act("supplier_busy")
        turn.say(replies.deposit_refused(code) if not exc.retryable else replies.supplier_busy())
        return
    turn.state.awaiting = {"refs": [], "total": amount, "payment": payment.ref, "deposit": True}
    message = checkout_message(payment, purpose=f"isi saldo {replies.rupiah(amount)}", zone=shop.timezone)
    turn.act("checkout", payment={"ref": payment.ref, "amount": payment.amount, "fee": payment.fee,
                                  "method": payment.method, "kind": "deposit"})
    if message["kind"] == "image":
        turn.out.append(_image(message))
    else:
        turn.say(message["text"])


def bill(turn: TurnContext, provider: str | None, target: str | None) -> None:
    """cek tagihan → inquiry at Atlantic → a bill quote (name, periods, bill, admin, total)."""
    shop = turn.shop
    if not target or target == targets.SELF:
        turn.state.bill_for = provider or "PLN"
        turn.act("bill_ask_number")
        turn.say(replies.bill_ask_number(provider))
        return
    hits = turn.deps.catalog.search(SearchQuery(category="bill", provider=provider or "PLN"), limit=1)
    if not hits:
        turn.act("nothing_found", products=[])
        turn.say(replies.nothing_found({"category": "bill", "provider": provider}))
        return
    product = hits[0]
    ref = turn.deps.orders.reserve_ref()
    try:
        inquiry = shop.supplier.bill_inquiry(product.code, ref, target)
    except InvalidTarget:
        turn.act("bill_not_found", products=[product.code])
        turn.say(replies.bill_not_found())
        return
    except SupplierError as exc:
        log.warning("bill inquiry failed: %s", exc)
        turn.act("supplier_busy", products=[product.code])
        turn.say(replies.supplier_busy())
        return
    periods = [str(d.get("periode")) for d in ((inquiry.detail or {}).get("detail") or []) if isinstance(d, dict)]
    details = {"customer_name": inquiry.customer_name, "amount": inquiry.amount, "admin_fee": inquiry.admin_fee,
               "total": inquiry.total, "periods": periods}
    turn.state.bill_for = None
    try:
        order = turn.deps.orders.create_quote(turn.customer.id, product.code, target, ref=ref, bill=details)
    except (ProductNotForSale, NotFound):
        turn.act("product_gone", products=[product.code])
        turn.say(replies.product_gone())
        return
    item = {"code": product.code, "name": product.name, "category": "bill", "provider": product.provider}
    _show_quotes(turn, [order], item)


def history(turn: TurnContext, ledger: bool) -> None:
    if ledger:
        rows = turn.deps.orders.ledger(turn.customer.id, limit=5)
        turn.act("mutations")
        turn.say(replies.mutations(rows, turn.customer.saldo))
        return
    orders = turn.deps.orders.recent(turn.customer.id, limit=5)
    turn.act("status", orders=[o.ref for o in orders])
    turn.say(replies.order_status([order_json(o) for o in orders], None))
