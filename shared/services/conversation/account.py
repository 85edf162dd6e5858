"""The customer's account: saldo and its movements, order status (by code, or their own recent
orders when they give none: "udah masuk belum?"), complaints, history, and a receipt sent again."""

from __future__ import annotations

import re

from shared.services.conversation.context import TurnContext

LEDGER_WORDS = re.compile(r"\b(mutasi|riwayat saldo|histori saldo|history saldo|saldo history|balance history)\b")


def balance(turn: TurnContext) -> None:
    if LEDGER_WORDS.search(turn.input.text.lower()):
        history(turn, ledger=True)
        return
    turn.act("balance", saldo=turn.customer.saldo)
    turn.say(turn.words.balance(turn.customer.saldo))


def status(turn: TurnContext, ref: str | None) -> None:
    """One order by its code, or the customer's latest ones."""
    orders = turn.deps.orders.recent(turn.customer.id, ref=ref)
    turn.act("status", orders=[o.ref for o in orders])
    turn.say(turn.words.order_status(orders, ref))


def complaint(turn: TurnContext) -> None:
    latest = turn.deps.orders.recent(turn.customer.id, limit=1)
    turn.act("complaint", orders=[o.ref for o in latest])
    turn.say(turn.words.complaint(latest[0] if latest else None))


def history(turn: TurnContext, *, ledger: bool) -> None:
    """"riwayat": the last orders with dates, amounts and statuses; "mutasi": saldo movements."""
    if ledger:
        rows = turn.deps.orders.ledger(turn.customer.id, limit=5)
        turn.act("mutations")
        turn.say(turn.words.mutations(rows, turn.customer.saldo, zone=turn.shop.timezone))
        return
    orders = turn.deps.orders.recent(turn.customer.id, limit=5)
    turn.act("status", orders=[o.ref for o in orders], history=True)
    turn.say(turn.words.order_history(orders, zone=turn.shop.timezone))


def receipt(turn: TurnContext, ref: str | None = None) -> None:
    """"minta struknya": the last order's receipt again (or the one named by its code)."""
    orders = turn.deps.orders.recent(turn.customer.id, ref=ref, limit=1 if ref else 5)
    if not orders:
        turn.act("receipt", orders=[])
        turn.say(turn.words.no_orders_yet())
        return
    last = orders[0]
    # several orders confirmed together ("token … terus pulsa …") make one purchase: all its receipts
    together = [o for o in orders[1:] if last.batch and o.batch == last.batch and o.status == "success"]
    turn.act("receipt", orders=[last.ref] + [o.ref for o in together], order={"ref": last.ref, "status": last.status})
    zone = turn.shop.timezone
    turn.say("\n\n".join([turn.words.receipt_again(last, zone=zone)] + [turn.words.receipt(o, zone=zone) for o in together]))
