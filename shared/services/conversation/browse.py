"""Browsing: the request frame moves forward — a list to choose from, the one product that fits,
the question for what is still missing — until every item can be quoted (:mod:`.buy`).

:func:`advance` is where code decides the next question, whichever path (the rules or the model's
tools) changed the frame.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from shared.domain import frame as frames
from shared.domain import targets
from shared.domain.frame import Frame, Item, Product, Said
from shared.services.conversation import buy
from shared.services.conversation.context import TurnContext

Mode = Literal["search", "buy", "price_check"]


def update(turn: TurnContext, said: Said | list[Said], *, mode: Mode = "buy") -> None:
    """Merge what the message said into the frame, then take the next step."""
    before = turn.state.frame
    after, transition = frames.merge(before, said, turn.now)
    turn.facts["frame"] = transition
    if before.confirmed and not after.confirmed and transition != "new":
        turn.facts["amends_confirmed"] = True  # the orders waiting for payment are replaced by the new quote
    turn.state.frame = after
    if transition == "keep" and not before.empty:
        advance(turn, mode=mode)
        return
    advance(turn, mode="buy" if transition == "add" else mode, refined=transition in ("refine", "correct"))


def advance(turn: TurnContext, *, mode: Mode = "buy", refined: bool = False) -> None:
    """Take the frame's next step: resolve a product, ask for what is missing, warn, or quote."""
    for _ in range(frames.MAX_ITEMS + 1):
        _own_number(turn)
        step, item = frames.next_step(turn.state.frame)
        if step == "resolve":
            if not resolve(turn, item, mode=mode, refined=refined):
                return
            mode = "buy"
            continue
        if step == "ask_what":
            turn.act("clarify")
            turn.say(turn.words.target_noted_ask_product() if item.target else turn.words.clarify())
        elif step == "ask_target":
            ask_target(turn, item)
        elif step == "ask_zone":
            turn.act("ask_zone", products=[item.product.code])
            turn.say(turn.words.ask_zone(item.product, item.target.rstrip("|")))
        elif step == "mismatch":
            operator = frames.phone_operator(item.target)
            turn.act("operator_mismatch", products=[item.product.code], target=item.target, operator=operator)
            turn.say(turn.words.operator_mismatch(item.product, item.target, operator))
        else:
            buy.quote_frame(turn)
        return


def _own_number(turn: TurnContext) -> None:
    """"nomor ini" for a phone or e-wallet product is the customer's WhatsApp number, checked like any
    other against the product's operator (for a meter or a game id it stays a wrong target)."""
    frame = turn.state.frame
    for item in frame.items:
        category = item.product_category
        if item.target == targets.SELF and category in ("pulsa", "data", "ewallet") and turn.own(item.target):
            frame = frame.with_item(item, replace(item, target=turn.own(item.target)), turn.now)
    turn.state.frame = frame


def resolve(turn: TurnContext, item: Item, *, mode: Mode, refined: bool) -> bool:
    """Find the product for ``item``. Returns whether it resolved (else a list or a question was said)."""
    target = turn.own(item.target) if item.target else None
    if item.category in frames.PHONE_CATEGORIES and item.provider is None and target and target.startswith("08"):
        item = replace(item, provider=frames.phone_operator(target))  # searched for, not said: kept as a hint
    q = item.query()
    hits = turn.deps.catalog.search(q, limit=turn.deps.limits.list_size)
    found = _validity_first([Product.from_hit(h) for h in hits], item.validity_days)
    if not found:
        turn.state.items = []
        if not q.structured:  # free words only ("ada diskon?"): no product was asked for
            turn.act("clarify")
            turn.say(turn.words.clarify())
            return False
        turn.act("nothing_found", products=[])
        turn.say(turn.words.nothing_found(item))
        return False
    exact = [p for p in found if _exact(p, item)]
    asked_exact = item.nominal is not None or item.units is not None or item.quota_gb is not None
    if (item.nominal or item.units) and not exact:
        # the asked face value is out of stock or not sold: offer the nearest ones
        show(turn, found, item, alternatives=True)
        return False
    single = exact[0] if len(exact) == 1 else None
    if single is None and len(found) == 1 and (item.validity_days or item.quota_gb or item.target):
        single = found[0]  # "paket axis 7 hari": the one package there is
    if not single and item.target and turn.state.items and [p.code for p in turn.state.items] == [p.code for p in found]:
        # a number sent while this very list waits for a choice: keep it, ask for the choice
        turn.act("ask_choice", products=[p.code for p in found])
        turn.say(turn.words.target_noted_pick(turn.own(item.target) or item.target, len(found)))
        return False
    if single and (mode in ("buy", "price_check") or refined or item.target):
        turn.state.items = []
        turn.state.frame = frames.pick(turn.state.frame, single, turn.now, auto=True)
        if mode == "price_check" and not item.target:
            turn.act("price", products=[single.code])
            turn.say(turn.words.price(single))
            return False
        return True
    if mode == "buy" and asked_exact and item.category in ("pulsa", "data") and item.provider is None \
            and not item.target:
        # "pulsa 10rb": the number decides the operator
        turn.state.items = []
        turn.act("ask_target", products=[])
        turn.say(turn.words.ask_target_for_request(item))
        return False
    show(turn, found, item)
    return False


def _validity_first(found: list[Product], days: int | None) -> list[Product]:
    """"seminggu", "harian", "30 hari": the packages of exactly that validity, when there are any
    (the search reads a validity as "at least", so longer ones come along)."""
    if days is None:
        return found
    exact = [p for p in found if p.validity_days == days]
    return exact or found


def _exact(p: Product, item: Item) -> bool:
    if item.nominal is not None and p.nominal == item.nominal:
        return True
    if item.units is not None and p.units == item.units:
        return True
    return item.nominal is None and item.units is None and item.quota_gb is not None \
        and p.quota_gb is not None and abs(p.quota_gb - item.quota_gb) < 1e-9


def show(turn: TurnContext, found: list[Product], item: Item, *, alternatives: bool = False) -> None:
    turn.state.show(found)
    turn.act("list", products=[p.code for p in found], **({"alternatives": True} if alternatives else {}))
    text = turn.words.alternatives(found, item) if alternatives else turn.words.product_list(found, item)
    turn.say(text, list=turn.words.product_rows(found, item, alternatives=alternatives))


def ask_target(turn: TurnContext, item: Item) -> None:
    product = item.product
    known = _suggestion(turn, item)
    turn.act("ask_target", products=[product.code])
    turn.say(turn.words.ask_target(product, suggested=known))


def choose(turn: TurnContext, index: int, target: str | None = None) -> None:
    """"2" / "oke yang pertama" / "yang terakhir" (-1) with a list on screen."""
    if index == -1:
        index = len(turn.state.items)
    if not 1 <= index <= len(turn.state.items):
        if by_amount(turn, index):
            return
        turn.act("clarify")
        turn.say(turn.words.choice_out_of_range(len(turn.state.items)))
        return
    pick(turn, turn.state.items[index - 1], target)


def by_amount(turn: TurnContext, number: int) -> bool:
    """"yg 50" after the token list, "172" after the diamonds: a face value or a diamond count, read
    against the list on screen, else as a refinement of the request being built."""
    for p in turn.state.items:
        if p.units == number or p.nominal in (number, number * 1000):
            pick(turn, p)
            return True
    item = turn.state.frame.current
    category = item.product_category
    if category == "game":
        update(turn, Said(units=number), mode="buy")
        return True
    if category in ("pulsa", "ewallet", "pln", "voucher") and 5 <= number < 10_000_000:
        update(turn, Said(nominal=number * 1000 if number < 1000 else number), mode="buy")
        return True
    return False


def cheapest(turn: TurnContext, sort: str) -> bool:
    """"yg paling murah aja" with a list on screen: that one, not the list again."""
    if not turn.state.items:
        return False
    rows = sorted(turn.state.items, key=lambda p: p.price, reverse=sort == "price_desc")
    pick(turn, rows[0])
    return True


def pick(turn: TurnContext, product: Product, target: str | None = None) -> None:
    """The customer chose ``product``: on to its target (given, or to ask for)."""
    frame = turn.state.frame
    if not frame.items or frame.current.product is not None and frame.current.target and not target:
        frame = Frame(items=(Item(),), method=frame.method, at=turn.now)  # a list from an older request
    frame = frames.pick(frame, product, turn.now)
    if target:
        frame, _ = frames.merge(frame, Said(target=target), turn.now)
    turn.state.frame = frame
    advance(turn)


def _suggestion(turn: TurnContext, item: Item) -> str | None:
    """The target used last time for this kind of product — a phone only if it is the product's operator."""
    known = turn.state.targets.get(item.kind or "")
    if known and item.product and item.product.category in frames.PHONE_CATEGORIES:
        operator = frames.phone_operator(known)
        if operator and item.product.provider and operator != item.product.provider:
            return None
    return known


def take_suggested(turn: TurnContext) -> bool:
    """"ya" after "kirim ke 0812… lagi?": the target used last time for this kind of product."""
    item = turn.state.frame.current
    known = _suggestion(turn, item) if item.product and not item.target else None
    if not known:
        return False
    pick(turn, item.product, known)
    return True


def switch_operator(turn: TurnContext) -> bool:
    """"ya" / "ganti aja" after the operator warning: the same request on the number's operator."""
    item = turn.state.frame.current
    step, _ = frames.next_step(turn.state.frame)
    if step != "mismatch":
        return False
    operator = frames.phone_operator(item.target)
    changed = replace(item, provider=operator, product=None, category=item.category or item.product.category)
    if item.product and item.product.nominal and changed.nominal is None and changed.quota_gb is None:
        changed = replace(changed, nominal=item.product.nominal)
    if item.product and item.product.quota_gb and changed.quota_gb is None and changed.nominal is None:
        changed = replace(changed, quota_gb=item.product.quota_gb)
    turn.state.frame = turn.state.frame.with_current(changed, turn.now)
    advance(turn, refined=True)
    return True


def keep_number(turn: TurnContext) -> bool:
    """"nomornya bener kok" after the operator warning: a ported number; quote it as it is."""
    step, item = frames.next_step(turn.state.frame)
    if step != "mismatch":
        return False
    turn.state.frame = turn.state.frame.with_item(item, replace(item, ported=True), turn.now)
    advance(turn)
    return True


def waiting_target(turn: TurnContext) -> Item | None:
    """The item waiting for its target (a product picked, a request that needs a number)."""
    item = turn.state.frame.current
    if item.product is not None and (not item.target or item.target.endswith("|")):
        return item
    if item.product is None and item.category and (turn.state.last == "ask_target" or turn.state.items):
        return item  # a request that needs its number, or a list on screen (the number is kept)
    if item.product is not None and (turn.state.quote or turn.state.last == "operator_mismatch"):
        return item  # "eh ganti nomornya 0857…" corrects the quote, or answers the operator warning
    return None


def targets_in(turn: TurnContext, text: str, item: Item) -> list[str]:
    """Every target of the item's kind in ``text`` ("0812… sama 0857…", two meter numbers)."""
    category = item.product_category
    if category in ("pulsa", "data", "ewallet"):
        return targets.find_phones(text)
    if category in ("pln", "bill"):
        return targets.find_numbers(text)
    one = target_in(turn, text, item)
    return [one] if one else []


def target_in(turn: TurnContext, text: str, item: Item) -> str | None:
    category, provider = item.product_category, item.product_provider
    if item.target and item.target.endswith("|"):
        zone = targets.find_zone(text)
        if zone:
            return zone
    found = targets.find_target(text, category=category, provider=provider)
    if found and found.endswith("|") and item.target and "|" in item.target and not item.target.endswith("|"):
        return found + item.target.split("|")[1]  # "idnya salah harusnya 11223345": the zone stays
    if not found and item.target and "|" in item.target and targets.ZONE_WORD.search(text.lower()):
        zone = re.search(r"(?<!\d)(\d{3,5})(?!\d)", text)  # "eh zone nya salah harusnya 2121"
        if zone:
            return item.target.split("|")[0] + "|" + zone.group(1)
    return found
