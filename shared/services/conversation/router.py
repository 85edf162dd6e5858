"""Which flow answers a turn: a table of named rules, tried in order.

1. limits: past the per-minute turn limit the bot says "pelan-pelan" once and stays quiet;
2. a tapped button or list row, by the id we gave it;
3. :data:`~.rules.PREROUTE`: what code answers without a model — "ya" / "batal" / a quote's code, "qris"
   or "pakai saldo" at a quote, "2" with a list on screen, a target (or a Mobile Legends zone)
   while the request waits for one, "cek saldo", a greeting, help, a status code, "minta struk";
4. the model with tools (when configured, within the customer's daily token budget, and any link
   of the failover chain is up), whose tools move the same request frame;
5. otherwise :data:`~.rules.RULES`, which run the same flows from the rule-based understanding.

Prices, products and order states only ever come from the catalog and the orders functions;
confirmation is code reacting to the customer, never something the model can do.
"""

from __future__ import annotations

from shared.domain import frame as frames
from shared.domain.nlu import Understanding, burst_intent, opens_with_salam, understand
from shared.domain.turns import OutboundMessage, ReplyChoice
from shared.errors import LeaseLost
from shared.services.conversation import account, browse, buy
from shared.services.conversation.context import Deps, Reply, TurnContext, TurnInput
from shared.services.conversation.rules import PREROUTE, RULES, Rule

SILENT_KINDS = frozenset({"reaction", "sticker"})


def respond(turn: TurnInput, deps: Deps) -> Reply:
    """Decide this turn's replies. Never raises for a refusal; bugs surface to the pipeline."""
    return Conversation(turn, deps).run()


class Conversation(TurnContext):
    """One turn, routed."""

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
            self.say(self.words.media_unsupported(next(iter(kinds - SILENT_KINDS))))
            return self.reply()
        if self._throttled():
            return self.reply()
        self.state.frame = frames.expire(self.state.frame, self.now)
        tapped = next((m.reply for m in reversed(self.input.messages) if m.reply), None)
        if tapped is not None and self.tapped(tapped):
            self.facts["path"] = "prerouted"
            return self.reply()
        u = understand(text)
        burst = burst_intent(text) if self.state.quotes else None
        if burst and burst != u.intent:  # "ya\nmakasih kak" at a quote: the "ya" decides
            u = Understanding(burst, {}, u.query, u.inferred)
        self.facts["intent"] = u.intent
        self.facts["slots"] = u.slots
        if self._follow(PREROUTE, u):
            self.facts["path"] = "prerouted"
            return self.reply()
        agent = self.deps.agent
        if agent is not None and self._within_budget() and agent.run(self, u):
            self.facts["path"] = "model"
            self._moved_away()
            self._salam_first()
            return self.reply()
        self._follow(RULES, u)
        return self.reply()

    def _follow(self, table: tuple[tuple[str, Rule], ...], u: Understanding) -> bool:
        for name, rule in table:
            if rule(self, u):
                self.facts["rule"] = name
                self._moved_away()
                self._salam_first()
                return True
        return False

    def _salam_first(self) -> None:
        """A salam opening a request is answered in kind before the answer."""
        if self.out and self.facts.get("action") != "greet" and opens_with_salam(self.input.text):
            self.out.insert(0, OutboundMessage(text=self.words.salam_back(self.customer.name)))

    def _moved_away(self) -> None:
        """A quote the customer moved away from (a new list, another request) is never confirmed."""
        if self.state.quotes and self.facts.get("frame") in ("new", "correct", "refine", "add") \
                and self.facts.get("action") not in ("quote", "cancelled"):
            buy.drop_quotes(self)

    def _throttled(self) -> bool:
        usage = self.input.usage
        recent = int(usage.get("turns_last_minute", usage.get("messages_last_minute", 0)))
        if recent <= self.deps.limits.rate_per_minute:
            return False
        if not self.state.throttled_at or self.now - self.state.throttled_at > 60:
            self.state.throttled_at = self.now
            self.say(self.words.slow_down())
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

    def tapped(self, choice: ReplyChoice) -> bool:
        """A button or list row the customer tapped, by the id we gave it. A quote's button acts
        only on the quote it was sent with: one the customer has moved away from is never paid."""
        action, value = choice.action, choice.value
        self.facts["intent"] = f"tap_{action}"
        if action in ("qris", "saldo", "confirm", "cancel"):
            if value and value not in self.state.refs:
                if value in self.state.settled:
                    buy.already_paid(self)
                elif value in self.live:
                    account.status(self, value)
                else:
                    self.act("stale_button", order={"ref": value})
                    self.say(self.words.stale_button(value))
                return True
            if action == "cancel":
                buy.cancel(self)
            else:
                buy.confirm(self, method=None if action == "confirm" else action)
            return True
        if action == "pick" and value:
            product = next((p for p in self.state.items if p.code == value), None)
            if product is None:
                self.act("clarify")
                self.say(self.words.stale_list())
                return True
            browse.pick(self, product)
            return True
        return False  # a template's quick reply or an id we no longer use: read its title as text
