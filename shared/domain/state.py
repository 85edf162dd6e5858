"""The structured memory of a conversation, kept as JSON in ``conversations.state``.

It is what lets the bot understand "2", "ya", "nomor ini" and "yang paling murah" without a model
call and without re-reading history: the last list shown, the last search, a product waiting for
its target, the pending quote, and the targets the customer used before.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any

from shared.domain.search import SearchQuery

MAX_LIST = 10
PAID = frozenset({"paid", "processing", "success", "failed", "refunded"})


def query_to_json(q: SearchQuery) -> dict[str, Any]:
    out = {k: v for k, v in asdict(q).items() if v not in (None, (), "relevance") and k != "corrections"}
    if q.min_quota_gb is not None:
        out["min_quota_gb"] = float(q.min_quota_gb)
    out.pop("target", None)
    if "terms" in out:
        out["terms"] = list(out["terms"])
    return out


def query_from_json(data: dict[str, Any] | None) -> SearchQuery:
    if not data:
        return SearchQuery()
    known = {f.name for f in fields(SearchQuery)}
    values = {k: v for k, v in data.items() if k in known}
    if values.get("min_quota_gb") is not None:
        values["min_quota_gb"] = Decimal(str(values["min_quota_gb"]))
    if "terms" in values:
        values["terms"] = tuple(values["terms"])
    return SearchQuery(**values)


def item_from_hit(hit: Any) -> dict[str, Any]:
    """The compact product entry a list, pick or context keeps."""
    return {"code": hit.code, "name": hit.name, "price": hit.price, "category": hit.category,
            "provider": hit.provider, "nominal": hit.nominal, "units": hit.units}


@dataclass
class ConversationState:
    items: list[dict[str, Any]] = field(default_factory=list)  # the last numbered list shown
    query: dict[str, Any] | None = None      # the last search, for follow-ups
    want: dict[str, Any] | None = None       # a request waiting for its target ("pulsa 10rb" → which number?)
    pick: dict[str, Any] | None = None       # a product waiting for its target (+ "suggested")
    quotes: list[dict[str, Any]] = field(default_factory=list)  # quotes waiting for the customer's "ya"
    awaiting: dict[str, Any] | None = None   # confirmed orders waiting for payment {"refs", "payment", "total"}
    bill_for: str | None = None              # a bill check waiting for its customer number (provider)
    targets: dict[str, str] = field(default_factory=dict)  # kind → last target used
    throttled_at: float | None = None
    last: str | None = None                  # the last action, for follow-ups and reports
    settled: list[str] = field(default_factory=list)  # orders paid since (outside the turn, or before a crash)
    deposit_for: dict[str, Any] | None = None  # a deposit waiting for its e-wallet number {"amount", "method"}

    @property
    def quote(self) -> dict[str, Any] | None:
        """The (first) quote waiting for confirmation."""
        return self.quotes[0] if self.quotes else None

    @classmethod
    def load(cls, data: dict[str, Any] | None) -> ConversationState:
        data = dict(data or {})
        if data.get("quote") and not data.get("quotes"):  # state saved before quotes became a list
            data["quotes"] = [data.pop("quote")]
        known = {f.name for f in fields(cls)}
        state = cls(**{k: v for k, v in data.items() if k in known})
        state.items = list(state.items or [])[:MAX_LIST]
        state.quotes = list(state.quotes or [])
        state.targets = dict(state.targets or {})
        state.settled = list(state.settled or [])
        return state

    def sync(self, facts: dict[str, Any] | None) -> None:
        """Align what the state waits for with the orders and payments as they are now (``facts``
        from ``begin_turn``): a payment settled by a callback or the reconciler, or a confirmation
        whose turn crashed after paying, is seen here, so the customer is never told that a paid
        order expired nor asked to pay it again."""
        if not facts:
            return
        live: dict[str, dict[str, Any]] = facts.get("orders") or {}
        paid = [ref for ref, row in live.items() if row.get("status") in PAID]

        quotes, confirmed = [], []
        for q in self.quotes:
            status = (live.get(q.get("ref")) or {}).get("status")
            if status in ("quoted", "expired"):
                quotes.append(q)  # an expired one stays: "ya" then says it expired
            elif status == "confirmed":
                confirmed.append(q)
        self.quotes = quotes
        if confirmed and not self.awaiting:
            self.awaiting = {"refs": [q["ref"] for q in confirmed], "total": sum(int(q["price"]) for q in confirmed),
                             "payment": (live[confirmed[0]["ref"]] or {}).get("payment")}
        if self.awaiting:
            refs = [r for r in self.awaiting.get("refs") or [] if (live.get(r) or {}).get("status") == "confirmed"]
            payment = facts.get("payment") or {}
            if self.awaiting.get("refs"):
                if refs:
                    self.awaiting = {**self.awaiting, "refs": refs}
                else:
                    self.awaiting = None
            elif self.awaiting.get("payment") and payment.get("status") not in (None, "pending"):
                self.awaiting = None  # a deposit that settled or closed outside the turn
        for ref in paid:
            if ref not in self.settled:
                self.settled.append(ref)
        self.settled = self.settled[-5:]

    def dump(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], {})}

    def show(self, items: list[dict[str, Any]], query: SearchQuery) -> None:
        self.items = items[:MAX_LIST]
        self.query = query_to_json(query)
        self.pick = None
        self.want = None
        self.deposit_for = None  # the customer moved on to shopping
