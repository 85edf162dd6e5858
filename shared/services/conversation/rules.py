"""The rules a turn is routed by, as tables of named rules tried in order (:mod:`.router`).

A rule takes the turn and the message's rule-based understanding, and returns whether it answered.
:data:`PREROUTE` runs before any model call; :data:`RULES` answer when no model does.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from shared.domain import targets
from shared.domain.frame import Said
from shared.domain.nlu import Understanding, adds_more, names_a_product, requests, said_by, strip_target
from shared.services.conversation import account, browse, buy, pay
from shared.services.conversation.context import TurnContext

Rule = Callable[[TurnContext, Understanding], bool]
JUST_THAT = re.compile(r"\b(aja|aj|saja|deh|ambil|itu|one)\b")
INSIST = re.compile(r"\b(bener|benar|betul|tetap|tetep|gapapa|gpp|ga papa|gak papa|nggak papa|udah pindah|"
                    r"sudah pindah|porting|it'?s correct|it is correct|keep it|that'?s right)\b")


def said(c: TurnContext, u: Understanding) -> Said | list[Said]:
    """What the message says about the request: one :class:`Said`, or one per request in it."""
    text = c.input.text
    parts = requests(text)
    method = pay.method_in(text)
    if len(parts) > 1:
        return [said_by(p, method=method) for p in parts]
    one = said_by(u, method=method, more=adds_more(text), text=text)
    phones = targets.find_phones(text)
    if len(phones) > 1 and one.category in ("pulsa", "data", "ewallet"):
        return [replace(one, target=phone) for phone in phones]  # each number its own item (and operator)
    return one


def pending_target(c: TurnContext) -> str | None:
    """A message that is just a target ("0812…", "nomor ini", "69827740 (2126)", "server 2126",
    "ganti nomornya 0857…") while the request waits for one — read with that product's kind,
    so a Mobile Legends id is not taken for an amount."""
    item = browse.waiting_target(c)
    if item is None:
        return None
    text = c.input.text
    target = browse.target_in(c, text, item)
    if target is None:
        return None
    rest = text.lower()
    for one in [target] + browse.targets_in(c, text, item):
        rest = strip_target(rest, one)
    if item.product is None and len(rest.split()) > 3:
        return None  # a list waits and the message says more than where ("yang kedua buat 0812…, …")
    return None if names_a_product(rest) else target


# -- the rules ------------------------------------------------------------------------------------


def _confirm(c: TurnContext, u: Understanding) -> bool:
    if u.intent != "confirm":
        return False
    state = c.state
    if state.quotes or (state.awaiting and state.frame.confirmed):
        buy.confirm(c)  # the quote, or the QRIS already waiting shown again
        return True
    if browse.switch_operator(c) or browse.take_suggested(c):
        return True
    if state.frame.current.product is not None:
        browse.advance(c)  # "ya" after a price: yes, they want it; ask where to send it
    elif state.awaiting and state.awaiting.refs:
        buy.confirm(c)  # pay what was confirmed earlier
    elif state.settled:
        buy.already_paid(c)  # paid meanwhile: never "expired", never a new charge
    else:
        c.act("nothing_to_confirm")
        c.say(c.words.nothing_to_confirm())
    return True


def _ported(c: TurnContext, u: Understanding) -> bool:
    if c.state.last == "operator_mismatch" and INSIST.search(c.input.text.lower()):
        return browse.keep_number(c)
    return False


def _quote_code(c: TurnContext, u: Understanding) -> bool:
    quote = c.state.quote
    if quote and u.slots.get("ref") == quote.ref and u.intent == "check_status":
        buy.confirm(c)  # the quote's code sent back is a confirmation
        return True
    return False


def _cancel(c: TurnContext, u: Understanding) -> bool:
    if u.intent == "cancel" and not u.slots:
        buy.cancel(c)
        return True
    return False


def _pay_method(c: TurnContext, u: Understanding) -> bool:
    return buy.choose_method(c, c.input.text)


def _list_choice(c: TurnContext, u: Understanding) -> bool:
    if "choice" in u.slots and c.state.items:
        browse.choose(c, u.slots["choice"], u.slots.get("target"))
        return True
    if "choice" in u.slots and u.slots["choice"] > 10:
        return browse.by_amount(c, u.slots["choice"])  # "50" while a token request is being built
    if u.intent == "search" and set(u.slots) == {"sort"} and JUST_THAT.search(c.input.text.lower()):
        return browse.cheapest(c, u.slots["sort"])  # "yg paling murah aja" with a list on screen: that one
    return False


def _bill_number(c: TurnContext, u: Understanding) -> bool:
    if c.state.bill_for and u.slots.get("target") and u.intent in ("buy", "bill_check", "other", "search"):
        buy.bill(c, c.state.bill_for, u.slots["target"])
        return True
    return False


def _target(c: TurnContext, u: Understanding) -> bool:
    if "choice" in u.slots and c.state.items:
        return False  # "yang kedua buat 0812…": the list choice takes the target along
    target = pending_target(c)
    if target is None:
        return False
    found = browse.targets_in(c, c.input.text, browse.waiting_target(c))
    if len(found) > 1:  # "0812… sama 0857…": the same request for each
        c.state.frame = c.state.frame.fan_out(found, c.now)
        c.facts["frame"] = "add"
        browse.advance(c)
        return True
    browse.update(c, Said(target=target))
    return True


def _deposit_phone(c: TurnContext, u: Understanding) -> bool:
    ask = c.state.deposit_for
    if ask and u.slots.get("target") and u.intent in ("buy", "other", "deposit"):
        pay.deposit(c, ask.amount, ask.method, phone=u.slots["target"])
        return True
    return False


def _reply(intent: str, action: str, say: Callable[[TurnContext, Understanding], str]) -> Rule:
    def rule(c: TurnContext, u: Understanding) -> bool:
        if u.intent != intent:
            return False
        c.act(action)
        c.say(say(c, u))
        return True
    return rule


def _intent(intent: str, flow: Callable[[TurnContext, Understanding], None]) -> Rule:
    def rule(c: TurnContext, u: Understanding) -> bool:
        if u.intent != intent:
            return False
        flow(c, u)
        return True
    return rule


def _status_code(c: TurnContext, u: Understanding) -> bool:
    if u.intent == "check_status" and "ref" in u.slots:
        account.status(c, u.slots["ref"])
        return True
    return False


def _status(c: TurnContext, u: Understanding) -> None:
    if u.slots.get("history"):
        account.history(c, ledger=False)
    else:
        account.status(c, u.slots.get("ref"))


def _product(c: TurnContext, u: Understanding) -> bool:
    if u.intent not in ("search", "price_check", "buy", "other"):
        return False
    what = said(c, u)
    free_words = not isinstance(what, list) and not u.query.structured and not what.target and what.sort == "relevance"
    if free_words and (u.intent == "other" or not c.state.frame.empty):
        return False  # free words alone ("apa kabar", "ada diskon?") are no product request
    if isinstance(what, list) or what.about_product or (what.target and u.intent == "buy"):
        mode = u.intent if u.intent in ("search", "price_check") else "buy"
        browse.update(c, what, mode=mode)
        return True
    return False


def _choice_without_list(c: TurnContext, u: Understanding) -> bool:
    if "choice" in u.slots:
        c.act("clarify")
        c.say(c.words.pick_from_list_first())
        return True
    return False


def _off_topic(c: TurnContext, u: Understanding) -> bool:
    if u.intent == "other" and u.slots.get("off_topic"):
        c.act("off_topic")
        c.say(c.words.off_topic())
        return True
    return False


def _clarify(c: TurnContext, u: Understanding) -> bool:
    c.act("clarify")
    c.say(c.words.clarify())
    return True


_GREETING = _reply("greeting", "greet", lambda c, u: c.words.greeting(
    c.customer.name, c.deps.limits.shop_name, salam=bool(u.slots.get("salam"))))
_ABOUT = _reply("about", "about", lambda c, u: c.words.about_bot(c.deps.limits.shop_name))
_THANKS = _reply("thanks", "thanks", lambda c, u: c.words.thanks(c.settled_orders()))
_HELP = _reply("help", "help", lambda c, u: c.words.help_menu(c.deps.limits.shop_name))
_BALANCE = _intent("balance", lambda c, u: account.balance(c))
_RECEIPT = _intent("receipt", lambda c, u: account.receipt(c, u.slots.get("ref")))
_DEPOSIT = _intent("deposit", lambda c, u: pay.deposit(c, u.slots.get("nominal") or u.slots.get("max_price"),
                                                       u.slots.get("method")))
_BILL = _intent("bill_check", lambda c, u: buy.bill(c, u.slots.get("provider"), u.slots.get("target")))
_STATUS = _intent("check_status", _status)
_COMPLAINT = _intent("complaint", lambda c, u: account.complaint(c))
_CANCEL_ANY = _intent("cancel", lambda c, u: buy.cancel(c))

# answered by code, before any model call
PREROUTE: tuple[tuple[str, Rule], ...] = (
    ("ported", _ported), ("confirm", _confirm), ("quote_code", _quote_code), ("cancel", _cancel), ("pay_method", _pay_method),
    ("target", _target), ("list_choice", _list_choice), ("bill_number", _bill_number),
    ("balance", _BALANCE), ("greeting", _GREETING), ("about", _ABOUT), ("thanks", _THANKS),
    ("deposit_phone", _deposit_phone), ("help", _HELP), ("status_code", _status_code), ("receipt", _RECEIPT),
    # deterministic flows: the model would only pick the same one
    ("deposit", _DEPOSIT), ("bill", _BILL), ("status", _STATUS),
)

# the rule engine: what the model would have done, from the rule-based understanding
RULES: tuple[tuple[str, Rule], ...] = (
    ("product", _product), ("choice_without_list", _choice_without_list), ("status", _STATUS),
    ("complaint", _COMPLAINT), ("cancel", _CANCEL_ANY), ("deposit", _DEPOSIT), ("bill", _BILL),
    ("balance", _BALANCE), ("help", _HELP), ("greeting", _GREETING), ("about", _ABOUT),
    ("receipt", _RECEIPT), ("off_topic", _off_topic), ("clarify", _clarify),
)
