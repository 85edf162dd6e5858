"""The structured memory of a conversation, kept as JSON in ``conversations.state``.

It is what lets the bot understand "2", "ya", "nomor ini" and "yang paling murah" without a model
call and without re-reading history: the last list shown, the request being built (the
:class:`~shared.domain.frame.Frame`), the pending quotes, what waits for payment, and the targets
the customer used before. Everything is typed here and dumped to plain JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from shared.domain.frame import Frame, Item, Product
from shared.domain.orders import Order

MAX_LIST = 10
PAID = frozenset({"paid", "processing", "success", "failed", "refunded"})


@dataclass(frozen=True)
class Quote:
    """A quoted order waiting for the customer's "ya" (the order row holds the truth)."""

    order_id: int
    ref: str
    code: str
    name: str
    target: str
    price: int
    category: str | None = None
    provider: str | None = None
    kind: str = "prabayar"
    expires_at: str | None = None
    bill: dict[str, Any] | None = None
    recent_duplicate: dict[str, Any] | None = None

    @classmethod
    def from_order(cls, order: Order) -> Quote:
        return cls(order_id=order.order_id, ref=order.ref, code=order.code, name=order.name, target=order.target,
                   price=int(order.price), category=order.category, provider=order.provider, kind=order.kind,
                   expires_at=order.expires_at.isoformat() if order.expires_at else None, bill=order.bill,
                   recent_duplicate=order.recent_duplicate)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Quote:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Awaiting:
    """Confirmed orders (or a deposit) waiting for their payment."""

    refs: tuple[str, ...] = ()
    total: int = 0
    payment: str | None = None  # the checkout's ref, once made
    deposit: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Awaiting:
        return cls(refs=tuple(data.get("refs") or ()), total=int(data.get("total") or 0),
                   payment=data.get("payment"), deposit=bool(data.get("deposit")))

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"refs": list(self.refs), "total": self.total, "payment": self.payment}
        if self.deposit:
            out["deposit"] = True
        return out


@dataclass(frozen=True)
class DepositAsk:
    """A deposit waiting for its e-wallet number (OVO charges a phone)."""

    amount: int
    method: str


@dataclass
class ConversationState:
    items: list[Product] = field(default_factory=list)  # the last numbered list shown
    frame: Frame = field(default_factory=Frame)          # the request being built
    quotes: list[Quote] = field(default_factory=list)    # quotes waiting for the customer's "ya"
    awaiting: Awaiting | None = None                     # confirmed orders waiting for payment
    bill_for: str | None = None                          # a bill check waiting for its customer number
    targets: dict[str, str] = field(default_factory=dict)  # kind → last target used
    throttled_at: float | None = None
    last: str | None = None                              # the last action, for follow-ups and reports
    settled: list[str] = field(default_factory=list)     # orders paid since (outside the turn, or before a crash)
    deposit_for: DepositAsk | None = None
    lang: str = "id"                                     # the customer's language: id | en

    @property
    def quote(self) -> Quote | None:
        """The (first) quote waiting for confirmation."""
        return self.quotes[0] if self.quotes else None

    @property
    def refs(self) -> list[str]:
        """What a "ya" would confirm: the quotes, or the confirmed orders waiting for payment."""
        return [q.ref for q in self.quotes] or list(self.awaiting.refs if self.awaiting else ())

    @classmethod
    def load(cls, data: dict[str, Any] | None, *, now: float = 0.0) -> ConversationState:
        data = dict(data or {})
        if data.get("quote") and not data.get("quotes"):  # state saved before quotes became a list
            data["quotes"] = [data.pop("quote")]
        state = cls(items=[Product.from_json(i) for i in (data.get("items") or [])[:MAX_LIST]],
                    frame=Frame.from_json(data.get("frame")) if data.get("frame") else _frame_from_old(data, now),
                    quotes=[Quote.from_json(q) for q in data.get("quotes") or []],
                    awaiting=Awaiting.from_json(data["awaiting"]) if data.get("awaiting") else None,
                    bill_for=data.get("bill_for"), targets=dict(data.get("targets") or {}),
                    throttled_at=data.get("throttled_at"), last=data.get("last"),
                    settled=list(data.get("settled") or []),
                    deposit_for=DepositAsk(**data["deposit_for"]) if data.get("deposit_for") else None,
                    lang=data.get("lang") or "id")
        return state

    def dump(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "items": [p.as_json() for p in self.items], "frame": self.frame.as_json() if not self.frame.empty else None,
            "quotes": [q.as_json() for q in self.quotes], "awaiting": self.awaiting.as_json() if self.awaiting else None,
            "bill_for": self.bill_for, "targets": self.targets, "throttled_at": self.throttled_at, "last": self.last,
            "settled": self.settled, "deposit_for": asdict(self.deposit_for) if self.deposit_for else None,
            "lang": self.lang if self.lang != "id" else None,
        }
        return {k: v for k, v in out.items() if v not in (None, [], {})}

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
            status = (live.get(q.ref) or {}).get("status")
            if status in ("quoted", "expired"):
                quotes.append(q)  # an expired one stays: "ya" then says it expired
            elif status == "confirmed":
                confirmed.append(q)
        if len(quotes) < len(self.quotes):
            self.frame = Frame()  # confirmed or paid meanwhile: that request is done
        self.quotes = quotes
        if confirmed and not self.awaiting:
            self.awaiting = Awaiting(refs=tuple(q.ref for q in confirmed), total=sum(q.price for q in confirmed),
                                     payment=(live[confirmed[0].ref] or {}).get("payment"))
        if self.awaiting:
            refs = tuple(r for r in self.awaiting.refs if (live.get(r) or {}).get("status") == "confirmed")
            payment = facts.get("payment") or {}
            if self.awaiting.refs:
                self.awaiting = Awaiting(refs, self.awaiting.total, self.awaiting.payment) if refs else None
            elif self.awaiting.payment and payment.get("status") not in (None, "pending"):
                self.awaiting = None  # a deposit that settled or closed outside the turn
            if self.awaiting is None:
                self.frame = Frame()  # paid (or closed) meanwhile: that request is done
        for ref in paid:
            if ref not in self.settled:
                self.settled.append(ref)
        self.settled = self.settled[-5:]

    def show(self, items: list[Product]) -> None:
        """A numbered list is on screen: the customer moved on to shopping."""
        self.items = items[:MAX_LIST]
        self.deposit_for = None


def _frame_from_old(data: dict[str, Any], now: float) -> Frame:
    """A product waiting for its target in state saved before the frame existed."""
    pick = data.get("pick")
    if not pick:
        return Frame()
    product = Product.from_json(pick)
    return Frame(items=(Item(category=product.category, provider=product.provider, product=product),), at=now)
