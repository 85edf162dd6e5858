"""Buying: quotes (one item or several, one target or several, bills), the customer's own
confirmation, and cancellation. Paying is :mod:`.pay`.

These run inside a turn; the model never reaches them except through ``get_quote``, and a quote is
confirmed only by the customer's own "ya" (or its code, or its button). Prices come from
``products`` through ``create_quote``, never from what a message or the model said.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from shared.domain import targets
from shared.domain.frame import Frame, Product
from shared.domain.orders import Order
from shared.domain.search import SearchQuery
from shared.domain.state import Awaiting, Quote
from shared.errors import InvalidTarget, NotFound, ProductNotForSale, SupplierError
from shared.services.conversation import pay
from shared.services.conversation.context import TurnContext, order_facts

log = logging.getLogger(__name__)


def quote_frame(turn: TurnContext) -> None:
    """Every item of the frame has its product and target: quote them, one confirmation for all."""
    quote(turn, [(item.product, item.target) for item in turn.state.frame.items])


def quote(turn: TurnContext, pairs: list[tuple[Product, str]]) -> None:
    """Quote each product for its target; a quote already on screen is replaced by the first."""
    resolved: list[tuple[Product, str]] = []
    for product, raw in pairs:
        self_ok = product.category in ("pulsa", "data", "ewallet")  # a WhatsApp number is no meter or game id
        target = turn.own(raw) if raw != targets.SELF or self_ok else None
        if target is None and raw == targets.SELF and self_ok:
            _forget_target(turn, product)
            turn.act("ask_target", products=[product.code])
            turn.say(turn.words.own_number_unreadable())
            return
        if target is None or not targets.valid_for(target, product.category, product.provider):
            _forget_target(turn, product)
            turn.act("bad_target", products=[product.code])
            turn.say(turn.words.bad_target(product))
            return
        resolved.append((product, target))
    old = [q.ref for q in turn.state.quotes]
    waiting = turn.state.awaiting
    if waiting and waiting.refs and not waiting.deposit and turn.facts.get("amends_confirmed"):
        _replace_confirmed(turn, waiting)
    batch = uuid.uuid4().hex[:12] if len(resolved) > 1 else None
    made: list[Order] = []
    try:
        for product, target in resolved:
            made.append(turn.deps.orders.create_quote(turn.customer.id, product.code, target, batch=batch,
                                                      replace_ref=old[0] if old and not made else None))
    except (ProductNotForSale, NotFound):
        turn.state.frame = Frame()
        turn.act("product_gone", products=[p.code for p, _ in resolved])
        turn.say(turn.words.product_gone())
        return
    for ref in old[1:]:
        turn.deps.orders.cancel(turn.customer.id, ref)
    show_quotes(turn, made)


def _replace_confirmed(turn: TurnContext, waiting: Awaiting) -> None:
    """A new quote replaces orders confirmed but not paid yet: they and their QRIS are cancelled
    (paid meanwhile after all? then the money lands in saldo, never lost)."""
    for ref in waiting.refs:
        turn.deps.orders.cancel(turn.customer.id, ref)
    if waiting.payment:
        pay.cancel_checkout(turn, waiting.payment)
    turn.state.awaiting = None


def _forget_target(turn: TurnContext, product: Product) -> None:
    """A target that does not fit ``product`` is not kept: the next one the customer sends is read fresh."""
    frame = turn.state.frame
    items = tuple(replace(i, target=None) if i.product == product else i for i in frame.items)
    turn.state.frame = replace(frame, items=items)


def show_quotes(turn: TurnContext, made: list[Order]) -> None:
    turn.state.awaiting = None
    turn.state.settled = []
    turn.state.deposit_for = None
    turn.state.items = []
    turn.state.quotes = [Quote.from_order(o) for o in made]
    for o in made:
        turn.state.targets[targets.kind_of_target(o.category or "other", o.provider)] = o.target
    first = made[0]
    turn.act("quote", products=[o.code for o in made], order=order_facts(first), orders=[order_facts(o) for o in made])
    ttl = turn.deps.limits.quote_ttl_minutes
    quotes = turn.state.quotes
    text = (turn.words.bill_quote(quotes[0], ttl, turn.customer.saldo) if first.kind == "pascabayar"
            else turn.words.quote_batch(quotes, ttl, turn.customer.saldo, method=turn.state.frame.method))
    total = sum(o.price for o in made)
    turn.say(text, buttons=turn.words.quote_buttons(first.ref, saldo_covers=turn.customer.saldo >= total))


def drop_quotes(turn: TurnContext) -> None:
    """The customer moved away from the quotes on screen: they can never be confirmed now."""
    for q in turn.state.quotes:
        turn.deps.orders.cancel(turn.customer.id, q.ref)
    turn.state.quotes = []


def confirm(turn: TurnContext, *, method: str | None = None) -> None:
    """The customer's own "ya" (or the quote's code, or the button): confirm, then pay.

    Safe to say twice: orders already paid are reported as paid (and being processed), never as
    expired and never charged again; a QRIS already waiting is shown again, never a second one."""
    state = turn.state
    quotes, awaiting = state.quotes, state.awaiting
    method = method or state.frame.method
    if not quotes and awaiting and awaiting.payment and method != "saldo" and pay.resend_checkout(turn):
        return
    refs = list(dict.fromkeys(state.refs))
    if not refs:
        if state.settled:
            already_paid(turn)
            return
        turn.act("nothing_to_confirm")
        turn.say(turn.words.nothing_to_confirm())
        return
    total = sum(q.price for q in quotes) or (awaiting.total if awaiting else 0)
    method = method or ("saldo" if turn.customer.saldo >= total else "qris")
    result = turn.deps.orders.confirm(turn.customer.id, refs, method=method)
    state.quotes = []
    if result.outcome in ("paid", "already_paid", "expired"):
        state.frame = Frame()  # done
    else:  # a payment waits: the request stays, so that a correction re-quotes it
        state.frame = replace(state.frame, confirmed=True)
    ready = [o for o in result.orders if o.status in ("confirmed", "paid")]
    facts = order_facts(result.orders[0])
    if result.outcome in ("paid", "already_paid"):
        waiting = awaiting.payment if awaiting else None
        state.awaiting = None
        state.settled = [o.ref for o in result.orders if o.paid_for]
        turn.fulfil += [o.ref for o in result.orders if o.status == "paid"]  # also a turn that died before submitting
        if result.outcome == "paid":
            turn.act("paid", products=[o.code for o in result.orders], order=facts | {"status": "paid"})
            turn.say(turn.words.paid_from_saldo([{"ref": o.ref} for o in ready], result.saldo))
            if waiting:
                pay.cancel_checkout(turn, waiting)  # paid from saldo instead: the QRIS is no longer needed
        else:
            turn.act("already_paid", products=[o.code for o in result.orders], order=facts)
            turn.say(turn.words.already_paid([o for o in result.orders if o.paid_for]))
    elif result.outcome == "awaiting_payment":
        state.awaiting = Awaiting(tuple(o.ref for o in ready), sum(o.price for o in ready), result.payment)
        if not pay.resend_checkout(turn):
            turn.act("payment_pending", order=facts)
            turn.say(turn.words.payment_waiting(result.payment))
    elif result.outcome == "expired":
        state.awaiting = None
        turn.act("quote_expired", products=[o.code for o in result.orders], order=facts)
        turn.say(turn.words.quote_expired({"ref": result.orders[0].ref}))
    elif result.outcome == "insufficient_saldo":
        state.awaiting = Awaiting(tuple(o.ref for o in ready), result.total)
        turn.act("insufficient_saldo", products=[o.code for o in ready], order=facts, saldo=result.saldo)
        turn.say(turn.words.insufficient_saldo(result.total, result.saldo))
    else:
        pay.qris(turn, ready, result.total)


def already_paid(turn: TurnContext) -> None:
    """A confirmation word, or "pakai saldo", for orders that were paid meanwhile."""
    orders = turn.settled_orders()
    turn.fulfil += [o["ref"] for o in orders if o.get("status") == "paid"]  # a turn that died before submitting
    turn.act("already_paid", orders=[o["ref"] for o in orders])
    turn.say(turn.words.already_paid(orders) if orders else turn.words.nothing_to_confirm())


def choose_method(turn: TurnContext, text: str) -> bool:
    """"qris" / "pakai saldo" / "sudah bayar" while a quote or a confirmed order waits for payment."""
    lowered = text.lower()
    state = turn.state
    if not (state.quotes or state.awaiting):
        if state.settled and (pay.SALDO_WORDS.search(lowered) or pay.QRIS_WORDS.search(lowered)
                              or pay.PAID_WORDS.search(lowered)):
            already_paid(turn)  # "pakai saldo" after it was paid: nothing more to pay
            return True
        return False
    if pay.QRIS_WORDS.search(lowered):
        if state.awaiting and state.awaiting.payment:
            return pay.check_payment(turn)
        confirm(turn, method="qris")
        return True
    if pay.SALDO_WORDS.search(lowered):
        confirm(turn, method="saldo")
        return True
    if pay.PAID_WORDS.search(lowered) and state.awaiting:
        return pay.check_payment(turn)
    return False


def cancel(turn: TurnContext) -> None:
    refs = turn.state.refs
    turn.state.frame = Frame()
    turn.state.deposit_for = None
    if not refs:
        turn.act("cancelled")
        turn.say(turn.words.cancelled(None))
        return
    results = [turn.deps.orders.cancel(turn.customer.id, ref) for ref in refs]
    payment = turn.state.awaiting.payment if turn.state.awaiting else None
    turn.state.quotes, turn.state.awaiting = [], None
    if payment:
        pay.cancel_checkout(turn, payment)
    late = [o for o in results if o.outcome == "too_late"]
    if late:
        turn.act("status", order={"ref": late[0].ref, "status": late[0].status})
        turn.say(turn.words.cannot_cancel({"ref": late[0].ref}))
        return
    turn.act("cancelled", order={"ref": results[0].ref, "status": results[0].status})
    turn.say(turn.words.cancelled({"ref": ", ".join(o.ref for o in results)}))


def bill(turn: TurnContext, provider: str | None, target: str | None) -> None:
    """cek tagihan → inquiry at Atlantic → a bill quote (name, periods, bill, admin, total)."""
    shop = turn.shop
    if not target or target == targets.SELF:
        turn.state.bill_for = provider or "PLN"
        turn.act("bill_ask_number")
        turn.say(turn.words.bill_ask_number(provider))
        return
    hits = turn.deps.catalog.search(SearchQuery(category="bill", provider=provider or "PLN"), limit=1)
    if not hits:
        turn.act("nothing_found", products=[])
        turn.say(turn.words.nothing_found({"category": "bill", "provider": provider}))
        return
    product = hits[0]
    ref = turn.deps.orders.reserve_ref()
    try:
        inquiry = shop.supplier.bill_inquiry(product.code, ref, target)
    except InvalidTarget:
        turn.act("bill_not_found", products=[product.code])
        turn.say(turn.words.bill_not_found())
        return
    except SupplierError as exc:
        log.warning("bill inquiry failed: %s", exc)
        turn.act("supplier_busy", products=[product.code])
        turn.say(turn.words.supplier_busy())
        return
    periods = [str(d.get("periode")) for d in ((inquiry.detail or {}).get("detail") or []) if isinstance(d, dict)]
    details = {"customer_name": inquiry.customer_name, "amount": inquiry.amount, "admin_fee": inquiry.admin_fee,
               "total": inquiry.total, "periods": periods}
    turn.state.bill_for = None
    try:
        order = turn.deps.orders.create_quote(turn.customer.id, product.code, target, ref=ref, bill=details)
    except (ProductNotForSale, NotFound):
        turn.act("product_gone", products=[product.code])
        turn.say(turn.words.product_gone())
        return
    turn.state.frame = Frame()
    show_quotes(turn, [order])
