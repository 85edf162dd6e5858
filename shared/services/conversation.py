"""The conversation brain: one turn's messages in, replies and the new state out.

Order of work for a turn:

1. limits: past the per-minute message limit the bot says "pelan-pelan" once and stays quiet;
2. the deterministic pre-router: "ya" / "batal" / a quote's code / a button, "2" with a list on
   screen, a target while a product waits for one, "cek saldo", a bare greeting, help, a status
   code — no model call;
3. the model with tools (when configured, within the customer's daily token budget, and any link
   of the failover chain is up), whose tool results are rendered by templates;
4. otherwise the rule engine, which runs the same flows from the rule-based understanding.

Prices, products and order states only ever come from the catalog and the orders functions;
confirmation is code reacting to the customer, never something the model can do.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from shared.domain import replies, targets, vocab
from shared.domain.nlu import Understanding, strip_target, understand
from shared.domain.search import SearchQuery, parse_query
from shared.domain.state import item_from_hit, query_from_json, query_to_json
from shared.domain.turns import ReplyChoice
from shared.errors import LeaseLost
from shared.services import buying
from shared.services.turn_context import Deps, Reply, TurnContext, TurnInput, order_json

log = logging.getLogger(__name__)

FACE_VALUE = ("pulsa", "ewallet", "pln", "voucher")
SILENT_KINDS = frozenset({"reaction", "sticker"})


def _names_a_product(text: str) -> bool:
    q = parse_query(text)
    return any(v is not None for v in (q.category, q.provider, q.nominal, q.max_price, q.min_quota_gb, q.units))


def respond(turn: TurnInput, deps: Deps) -> Reply:
    """Decide this turn's replies. Never raises for a refusal; bugs surface to the pipeline."""
    return Conversation(turn, deps).run()


class Conversation(TurnContext):
    """A turn's router and its browsing flows (the buying ones are :mod:`shared.services.buying`)."""

    # -- the turn -----------------------------------------------------------------------------

    def run(self) -> Reply:
        try:
            return self._run()
        except LeaseLost:  # another turn took the conversation over: stop before doing more
            self.facts["lease_lost"] = True
            return self.reply()

    def _run(self) -> Reply:
        text = self.input.text
        if not text:
            kinds = {m.kind for m in self.input.messages}
            if kinds <= SILENT_KINDS:  # a reaction or a sticker: stored, nothing to answer
                self.act("ignored")
                return self.reply()
            self.act("media_unsupported")
            self.say(replies.media_unsupported(next(iter(kinds - SILENT_KINDS))))
            return self.reply()
        if self._throttled():
            return self.reply()
        tapped = next((m.reply for m in reversed(self.input.messages) if m.reply), None)
        if tapped is not None and self.tapped(tapped):
            self.facts["path"] = "prerouted"
            return self.reply()
        u = understand(text)
        self.facts["intent"] = u.intent
        self.facts["slots"] = u.slots
        if self.preroute(u):
            self.facts["path"] = "prerouted"
            return self.reply()
        agent = self.deps.agent
        if agent is not None and self._within_budget():
            if agent.run(self, u):
                self.facts["path"] = "model"
                return self.reply()
        self.rules(u)
        return self.reply()

    def _throttled(self) -> bool:
        recent = int(self.input.usage.get("messages_last_minute", 0))
        if recent <= self.deps.limits.rate_per_minute:
            return False
        now = self.deps.clock()
        if not self.state.throttled_at or now - self.state.throttled_at > 60:
            self.state.throttled_at = now
            self.say(replies.slow_down())
        self.act("throttled")
        self.deps.metrics.inc("turns_throttled")
        return True

    def _within_budget(self) -> bool:
        used = int(self.input.usage.get("tokens_today", 0))
        if used < self.deps.limits.daily_tokens:
            return True
        self.deps.metrics.inc("model_budget_exhausted")
        self.facts["budget_exhausted"] = True
        return False

    # -- deterministic pre-router ---------------------------------------------------------------

    def tapped(self, choice: ReplyChoice) -> bool:
        """A button or list row the customer tapped, by the id we gave it. A quote's button acts
        only on the quote it was sent with: one the customer has moved away from is never paid."""
        action, value = choice.action, choice.value
        self.facts["intent"] = f"tap_{action}"
        if action in ("qris", "saldo", "confirm", "cancel"):
            current = {q["ref"] for q in self.state.quotes} | set((self.state.awaiting or {}).get("refs") or [])
            if value and value not in current:
                if value in self.state.settled:
                    buying.already_paid(self)
                elif value in self.live:
                    self.status(value)
                else:
                    self.act("stale_button", order={"ref": value})
                    self.say(replies.stale_button(value))
                return True
            if action == "cancel":
                buying.cancel(self)
            else:
                buying.confirm(self, method=None if action == "confirm" else action)
            return True
        if action == "pick" and value:
            item = next((i for i in self.state.items if i["code"] == value), None)
            if item is None:
                self.act("clarify")
                self.say(replies.stale_list())
                return True
            self.pick(item, None)
            return True
        return False  # a template's quick reply or an id we no longer use: read its title as text

    def preroute(self, u: Understanding) -> bool:
        slots, quote, pick = u.slots, self.state.quote, self.state.pick
        if u.intent == "confirm":
            if quote:
                buying.confirm(self)
            elif pick and pick.get("suggested"):
                self.make_quote(pick, pick["suggested"])
            elif pick:
                self.pick(pick, None)  # "ya" after a price: yes, they want it; ask where to send it
            elif self.state.awaiting and self.state.awaiting.get("refs"):
                buying.confirm(self)  # pay what was confirmed earlier
            elif self.state.settled:
                buying.already_paid(self)  # paid meanwhile: never "expired", never a new charge
            else:
                self.act("nothing_to_confirm")
                self.say(replies.nothing_to_confirm())
            return True
        if quote and slots.get("ref") == quote["ref"] and u.intent == "check_status":
            buying.confirm(self)  # the quote's code sent back is a confirmation
            return True
        if u.intent == "cancel" and len(slots) == 0:
            buying.cancel(self)
            return True
        if buying.choose_method(self, self.input.text):
            return True
        if "choice" in slots:
            if self.state.items:
                self.choose(slots["choice"])
                return True
            return False
        if self.state.bill_for and slots.get("target") and u.intent in ("buy", "bill_check", "other", "search"):
            buying.bill(self, self.state.bill_for, slots["target"])
            return True
        target = self.target_for_pending(u)
        if target:
            self.target_given(target)
            return True
        if u.intent == "balance":
            self.balance()
            return True
        if u.intent == "greeting":
            self.act("greet")
            self.say(replies.greeting(self.customer.name, self.deps.limits.shop_name, salam=bool(slots.get("salam"))))
            return True
        if u.intent == "about":
            self.act("about")
            self.say(replies.about_bot(self.deps.limits.shop_name))
            return True
        if u.intent == "thanks":
            self.act("thanks")
            self.say(replies.thanks(self.settled_orders()))
            return True
        if self.state.deposit_for and u.slots.get("target") and u.intent in ("buy", "other", "deposit"):
            buying.deposit(self, self.state.deposit_for.get("amount"), self.state.deposit_for.get("method"),
                           phone=u.slots["target"])
            return True
        if u.intent == "help":
            self.act("help")
            self.say(replies.help_menu(self.deps.limits.shop_name))
            return True
        if u.intent == "check_status" and "ref" in slots:
            self.status(slots["ref"])
            return True
        if u.intent in ("deposit", "bill_check", "check_status"):
            self.rules(u)  # deterministic flows: the model would only pick the same one
            return True
        return False

    def target_for_pending(self, u: Understanding) -> str | None:
        """A message that is just a target ("0812…", "nomor ini", "69827740 (2126)", "ganti nomornya
        0857…") while a product, a request or a quote waits for one — read with that product's
        kind, so a Mobile Legends id is not taken for an amount."""
        pending = self.state.pick or self.state.quote
        text = self.input.text
        if pending:
            target = targets.find_target(text, category=pending.get("category"), provider=pending.get("provider"))
            if target and not _names_a_product(strip_target(text.lower(), target)):
                return target
        if self.state.want and set(u.slots) <= {"target", "provider"} and "target" in u.slots:
            return u.slots["target"]
        return None

    # -- rule engine ----------------------------------------------------------------------------

    def rules(self, u: Understanding) -> None:
        intent, slots = u.intent, u.slots
        if intent in ("search", "price_check", "buy") and (u.query.structured or "sort" in slots):
            self.search(self.follow_up(u.query), intent=intent, target=slots.get("target"))
        elif intent == "buy" and "target" in slots:
            self.target_given(slots["target"])
        elif intent == "buy" and "choice" in slots:
            self.act("clarify")
            self.say("Pilih dari daftar dulu ya kak 😊 Mau cari apa? Contoh: _pulsa tsel 25rb_")
        elif intent == "check_status":
            if slots.get("ref"):
                self.status(slots["ref"])
            else:
                buying.history(self, ledger=False)
        elif intent == "complaint":
            self.complaint()
        elif intent == "cancel":
            buying.cancel(self)
        elif intent == "deposit":
            buying.deposit(self, slots.get("nominal") or slots.get("max_price"), slots.get("method"))
        elif intent == "bill_check":
            buying.bill(self, slots.get("provider"), slots.get("target"))
        elif intent == "balance":
            self.balance()
        elif intent == "help":
            self.act("help")
            self.say(replies.help_menu(self.deps.limits.shop_name))
        elif intent == "greeting":
            self.act("greet")
            self.say(replies.greeting(self.customer.name, self.deps.limits.shop_name, salam=bool(slots.get("salam"))))
        elif intent == "about":
            self.act("about")
            self.say(replies.about_bot(self.deps.limits.shop_name))
        else:
            self.act("clarify")
            self.say(replies.clarify())

    def follow_up(self, q: SearchQuery) -> SearchQuery:
        """"yang paling murah", "yang 10gb", "di bawah 30rb aja": narrow the last search."""
        last = query_from_json(self.state.query)
        if not self.state.query or q.category or q.provider or q.terms or q.nominal:
            return q
        return replace(last, sort=q.sort if q.sort != "relevance" else last.sort,
                       max_price=q.max_price or last.max_price, min_quota_gb=q.min_quota_gb or last.min_quota_gb,
                       min_validity_days=q.min_validity_days or last.min_validity_days, units=q.units or last.units)

    # -- flows (shared with the agent's tools) --------------------------------------------------

    def search(self, q: SearchQuery, *, intent: str = "search", target: str | None = None) -> None:
        hits = self.deps.catalog.search(q, limit=self.deps.limits.list_size)
        items = [item_from_hit(h) for h in hits]
        if not items:
            self.state.query = query_to_json(q)
            self.act("nothing_found", products=[])
            self.say(replies.nothing_found(query_to_json(q)))
            return
        exact = [i for i in items if (q.nominal and i["nominal"] == q.nominal) or (q.units and i["units"] == q.units)]
        single = exact[0] if len(exact) == 1 else None
        if (q.nominal or q.units) and not exact:
            # the asked face value is out of stock or not sold: offer the nearest ones
            self.state.show(items, q)
            self.act("list", products=[i["code"] for i in items], alternatives=True)
            self.say(replies.alternatives(items, query_to_json(q)), list=replies.product_rows(items, query_to_json(q), alternatives=True))
            return
        if single and intent in ("buy", "price_check"):
            self.state.show(items, q)
            self.state.items = []
            if intent == "price_check" and not target:
                self.state.pick = single
                self.act("price", products=[single["code"]])
                self.say(replies.price(single))
                return
            self.pick(single, target)
            return
        if intent == "buy" and q.nominal and q.category in FACE_VALUE and q.provider is None and not target \
                and q.category in ("pulsa", "data"):
            # "pulsa 10rb": the number decides the operator
            self.state.show(items, q)
            self.state.items = []
            self.state.want = query_to_json(q)
            self.act("ask_target", products=[])
            self.say(replies.ask_target_for_request(query_to_json(q)))
            return
        self.state.show(items, q)
        self.act("list", products=[i["code"] for i in items])
        self.say(replies.product_list(items, query_to_json(q)), list=replies.product_rows(items, query_to_json(q)))

    def choose(self, index: int) -> None:
        if not 1 <= index <= len(self.state.items):
            self.act("clarify")
            self.say(f"Pilihannya cuma 1 sampai {len(self.state.items)} kak 😊")
            return
        self.pick(self.state.items[index - 1], None)

    def pick(self, item: dict[str, Any], target: str | None) -> None:
        self.state.pick = dict(item)
        self.state.want = None
        if target:
            self.target_given(target)
            return
        known = self.state.targets.get(targets.kind_of_target(item["category"], item.get("provider")))
        if known:
            self.state.pick["suggested"] = known
        self.act("ask_target", products=[item["code"]])
        self.say(replies.ask_target(item, suggested=known))

    def target_given(self, raw: str) -> None:
        """A target arrived: for the product waiting for it, the request waiting for it, or to
        correct the pending quote ("eh ganti nomornya")."""
        replace_ref = None
        item = self.state.pick
        if item is None and self.state.quote:
            item, replace_ref = self.state.quote, self.state.quote["ref"]
        if item is None and self.state.want:
            want = query_from_json(self.state.want)
            phone = self.resolve_self(raw)
            provider = vocab.provider_from_phone(phone) if phone else None
            if provider:
                self.search(replace(want, provider=provider), intent="buy", target=phone)
                return
            self.act("bad_target")
            self.say(replies.bad_target({"category": want.category}))
            return
        if item is None:
            self.act("clarify")
            self.say("Nomornya sudah aku catat kak 😊 Mau isi apa? Contoh: _pulsa 25rb_ atau _paket data_")
            return
        self.make_quote(item, raw, replace_ref=replace_ref)

    def resolve_self(self, raw: str) -> str | None:
        return targets.self_phone(self.customer.wa_id) if raw == targets.SELF else raw

    def make_quote(self, item: dict[str, Any], raw_target: str, *, replace_ref: str | None = None) -> None:
        buying.quote(self, item, self.input_targets(raw_target), replace_ref=replace_ref)

    def input_targets(self, first: str) -> list[str]:
        """Several numbers in one message ("ke 0813… sama 0857…") make several orders."""
        found = targets.find_phones(self.input.text)
        return found if first in found and len(found) > 1 else [first]

    def balance(self) -> None:
        if re.search(r"\b(mutasi|riwayat saldo|histori saldo|history saldo)\b", self.input.text.lower()):
            buying.history(self, ledger=True)
            return
        self.act("balance", saldo=self.customer.saldo)
        self.say(replies.balance(self.customer.saldo))

    def status(self, ref: str | None) -> None:
        orders = self.deps.orders.recent(self.customer.id, ref=ref)
        self.act("status", orders=[o.ref for o in orders])
        self.say(replies.order_status([order_json(o) for o in orders], ref))

    def complaint(self) -> None:
        latest = self.deps.orders.recent(self.customer.id, limit=1)
        self.act("complaint", orders=[o.ref for o in latest])
        self.say(replies.complaint(order_json(latest[0]) if latest else None))
