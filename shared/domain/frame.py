"""The request frame: what the customer is asking for, built across messages (pure, no I/O).

A conversation builds its request a piece at a time — "paket data", then "indosat", then "yang 10
giga", then a number, then "lanjut". Each message's understanding is reduced to what it *said*
(:class:`Said`) and merged into the frame by :func:`merge`, which names the transition:

- ``keep``: nothing about the request ("ya", "makasih", "cek saldo");
- ``new``: a first request, or one for another product than the frame's — another category, or
  the category named again with another operator and no amending word (the old one is dropped; a
  target of the same kind carries over: pulsa → paket data keeps the number);
- ``refine``: fills what the frame did not have yet (the operator, the quota, the number);
- ``correct``: changes what the frame had ("eh yang xl", "ganti jadi 100 ribu aja"): the product
  resolved from the old values is dropped, so the request is resolved and quoted again;
- ``add``: a message with several requests ("token 20rb ke meter A terus pulsa xl 5rb ke B"),
  "sekalian …" naming another product, or another product said plainly while a quote waits (an
  amending word — "eh", "aja", "ganti" — makes it ``new`` instead): one item per request, each with
  its own target, quoted together.

A frame expires :data:`FRAME_TTL_SECONDS` after its last change, and is cleared by the flows when
its orders are paid or cancelled. Confirmed orders waiting for their payment keep it,
``confirmed``: a message that amends it ("ganti jadi 25rb", "eh nomornya salah") re-quotes, and the
waiting order and its QRIS are cancelled; anything else said plainly is another purchase. :func:`next_step` decides what the conversation does next.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from typing import Any, Literal

from shared.domain import targets, vocab
from shared.domain.search import SearchQuery

FRAME_TTL_SECONDS = 30 * 60
MAX_ITEMS = 4

Transition = Literal["keep", "new", "refine", "correct", "add"]
Step = Literal["ask_what", "resolve", "ask_target", "ask_zone", "mismatch", "quote"]

# the attributes of a request that pick a product (target and product aside)
ASPECTS = ("category", "provider", "nominal", "units", "quota_gb", "validity_days", "max_price", "sort", "terms")
# categories whose target is a phone number (the operator must match it)
PHONE_CATEGORIES = frozenset({"pulsa", "data"})


@dataclass(frozen=True)
class Product:
    """A product as the conversation keeps it (a list row, a pick, a context line)."""

    code: str
    name: str
    price: int
    category: str
    provider: str | None = None
    nominal: int | None = None
    units: int | None = None
    quota_gb: float | None = None
    validity_days: int | None = None

    @classmethod
    def from_hit(cls, hit: Any) -> Product:
        quota = getattr(hit, "quota_gb", None)
        return cls(code=hit.code, name=hit.name, price=int(hit.price), category=hit.category, provider=hit.provider,
                   nominal=hit.nominal, units=getattr(hit, "units", None),
                   quota_gb=float(quota) if quota is not None else None,
                   validity_days=getattr(hit, "validity_days", None))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Product:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Aspects:
    """What picks a product, as far as it is known: the fields of :data:`ASPECTS`."""

    category: str | None = None
    provider: str | None = None
    nominal: int | None = None
    units: int | None = None
    quota_gb: float | None = None
    validity_days: int | None = None
    max_price: int | None = None
    sort: str = "relevance"
    terms: tuple[str, ...] = ()

    @property
    def described(self) -> bool:
        """Whether anything about the product is known (said)."""
        return any(getattr(self, name) not in (None, (), "relevance") for name in ASPECTS)

    def aspects(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ASPECTS}


@dataclass(frozen=True)
class Item(Aspects):
    """One thing being bought: what it is (so far), the product it resolved to, where it goes."""

    product: Product | None = None
    target: str | None = None  # normalized, or targets.SELF; a Mobile Legends id waiting for its zone is "id|"
    auto: bool = False  # the product is the one match of what was said (not picked by the customer)
    ported: bool = False  # the customer says the number is on the product's operator after all

    @property
    def product_category(self) -> str | None:
        """The product's category once resolved, else the one said."""
        return self.product.category if self.product else self.category

    @property
    def product_provider(self) -> str | None:
        return self.product.provider if self.product else self.provider

    @property
    def kind(self) -> str | None:
        """What the target is (``phone``, ``meter``, ``game:FREE FIRE``…), once the category is known."""
        category = self.product_category
        return targets.kind_of_target(category, self.product_provider) if category else None

    def query(self) -> SearchQuery:
        return SearchQuery(category=self.category, provider=self.provider, nominal=self.nominal,
                           max_price=self.max_price,
                           min_quota_gb=Decimal(str(self.quota_gb)) if self.quota_gb is not None else None,
                           min_validity_days=self.validity_days, units=self.units, sort=self.sort, terms=self.terms)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in asdict(self).items() if v not in (None, (), "relevance", False)}
        out.pop("product", None)
        if self.terms:
            out["terms"] = list(self.terms)
        if self.product:
            out["product"] = self.product.as_json()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Item:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("product"):
            values["product"] = Product.from_json(values["product"])
        values["terms"] = tuple(values.get("terms") or ())
        return cls(**values)


@dataclass(frozen=True)
class Said(Aspects):
    """What one message said about the request (absent = not said)."""

    target: str | None = None
    method: str | None = None  # "saldo" | "qris"
    more: bool = False  # "sekalian", "juga", "tambah": another item, not a change of this one
    amends: bool = False  # "eh", "ganti", "aja", "yang …": a change of this item, even when it names the category

    @property
    def about_product(self) -> bool:
        return self.described

    @classmethod
    def from_query(cls, q: SearchQuery, *, target: str | None = None, method: str | None = None,
                   more: bool = False, amends: bool = False) -> Said:
        return cls(category=q.category, provider=q.provider, nominal=q.nominal, units=q.units,
                   quota_gb=float(q.min_quota_gb) if q.min_quota_gb is not None else None,
                   validity_days=q.min_validity_days, max_price=q.max_price, sort=q.sort, terms=tuple(q.terms),
                   target=target, method=method, more=more, amends=amends)


@dataclass(frozen=True)
class Frame:
    items: tuple[Item, ...] = ()
    method: str | None = None
    at: float = 0.0  # when it last changed (seconds, the turn's clock)
    confirmed: bool = False  # its orders are confirmed and wait for their payment

    @property
    def current(self) -> Item:
        """The item :func:`next_step` works on: the first without its product, else the first
        without its target, else the first whose number does not fit it, else the last."""
        for ready in (lambda i: i.product is not None, lambda i: bool(i.target) and not i.target.endswith("|"),
                      lambda i: not mismatched(i)):
            for item in self.items:
                if not ready(item):
                    return item
        return self.items[-1] if self.items else Item()

    @property
    def ready(self) -> bool:
        """Every item has its product and its target (it was quoted, or is about to be)."""
        return bool(self.items) and all(i.product is not None and i.target and not i.target.endswith("|")
                                        for i in self.items)

    @property
    def empty(self) -> bool:
        return not self.items and self.method is None

    def expired(self, now: float) -> bool:
        return bool(self.items) and now - self.at > FRAME_TTL_SECONDS

    def with_current(self, item: Item, now: float) -> Frame:
        """The frame with its current item replaced by ``item``."""
        if not self.items:
            return replace(self, items=(item,), at=now)
        return self.with_item(self.current, item, now)

    def with_item(self, old: Item, new: Item, now: float) -> Frame:
        """The frame with its item ``old`` replaced by ``new``."""
        index = self.items.index(old)
        return replace(self, items=self.items[:index] + (new,) + self.items[index + 1:], at=now)

    def fan_out(self, found: list[str], now: float) -> Frame:
        """Several targets for the current item ("0812… sama 0857…"): one item per target."""
        item = self.current
        copies = tuple(replace(item, target=t) for t in found[:MAX_ITEMS])
        index = self.items.index(item) if self.items else 0
        return replace(self, items=self.items[:index] + copies + self.items[index + 1:], at=now)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"items": [i.as_json() for i in self.items], "at": self.at}
        if self.method:
            out["method"] = self.method
        if self.confirmed:
            out["confirmed"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Frame:
        if not data:
            return cls()
        return cls(items=tuple(Item.from_json(i) for i in data.get("items") or ())[:MAX_ITEMS],
                   method=data.get("method"), at=float(data.get("at") or 0), confirmed=bool(data.get("confirmed")))


def _kind(category: str | None, provider: str | None) -> str | None:
    return targets.kind_of_target(category, provider) if category else None


def _start(said: Said) -> Item:
    return Item(**said.aspects(), target=said.target)


def _amend(item: Item, said: Said) -> tuple[Item, Transition]:
    """``item`` with what ``said`` states: ``refine`` when it only fills gaps, ``correct`` when it
    changes something the item had. Any change to what the product is drops the product."""
    changes: dict[str, Any] = {}
    corrected = False
    for name in ASPECTS:
        value = getattr(said, name)
        if value in (None, (), "relevance"):
            continue
        had = getattr(item, name)
        if had == value:
            continue
        if had not in (None, (), "relevance"):
            corrected = True
        changes[name] = value
    if "nominal" in changes and "units" not in changes:
        changes["units"] = None  # "ganti jadi 100rb": rupiah now, not diamonds
    if said.target and said.target != item.target:
        corrected = corrected or bool(item.target and item.product)
        changes["target"] = _join_zone(item.target, said.target)
        changes["ported"] = False
        if item.auto and item.provider is None and item.category in PHONE_CATEGORIES:
            changes["product"] = None  # it matched the old number's operator: the new number's decides
    if not changes:
        return item, "keep"
    if any(name in changes for name in ASPECTS):
        changes["product"] = None
    if changes.get("product", item.product) is None:
        changes["auto"] = False
    amended = replace(item, **changes)
    if not said.target and item.target and item.kind is not None and amended.kind != item.kind:
        amended = replace(amended, target=None)  # a Free Fire id is no Mobile Legends id, nor a DANA number
    return amended, "correct" if corrected else "refine"


def _join_zone(had: str | None, given: str) -> str:
    """A Mobile Legends zone sent after its user id ("1234" after "12345678")."""
    if had and had.endswith("|") and given.isdigit() and 3 <= len(given) <= 5:
        return had + given
    return given


def merge(frame: Frame, said: Said | list[Said], now: float) -> tuple[Frame, Transition]:
    """The frame after a message that said ``said`` (a list when the message held several requests)."""
    frame = expire(frame, now)
    if isinstance(said, list):
        if len(said) > 1:
            method = next((s.method for s in said if s.method), frame.method)
            return Frame(items=tuple(_start(s) for s in said[:MAX_ITEMS]), method=method, at=now), "add"
        said = said[0] if said else Said()
    method = said.method or frame.method
    if not said.about_product and not said.target:
        if said.method and said.method != frame.method:
            return replace(frame, method=method, at=now), "refine"
        return frame, "keep"
    if frame.confirmed:
        if not said.amends:  # the confirmed order waits for its payment; this is another purchase
            return Frame(items=(_start(said),), method=said.method, at=now), "new"
        frame = replace(frame, confirmed=False)  # "ganti jadi 25rb" after the QRIS: amend and quote again
    if not frame.items:
        return Frame(items=(_start(said),), method=method, at=now), "new"
    current = _unresolved(frame.current)
    if said.more and said.about_product and len(frame.items) < MAX_ITEMS:
        return replace(frame, items=frame.items + (_start(said),), method=method, at=now), "add"
    if _other_product(current, said):
        if frame.ready and not said.amends and len(frame.items) < MAX_ITEMS:
            # a quote waits and this is something else, said plainly: both, not one instead of the other
            return replace(frame, items=frame.items + (_start(said),), method=method, at=now), "add"
        item = _start(said)
        if not item.target and current.target and _kind(item.category, item.provider) == current.kind:
            item = replace(item, target=current.target)  # pulsa → paket data: the same number
        return Frame(items=(item,), method=method, at=now), "new"
    item, transition = _amend(current, said)
    if transition == "keep":
        return replace(frame, method=method), "keep"
    return replace(frame.with_current(item, now), method=method), transition


def _other_product(current: Item, said: Said) -> bool:
    """Whether ``said`` asks for another product than ``current`` (a new request): another
    category, or the same category named again with another operator and no word of amending
    ("paket xl yang paling murah" after an Indosat 10 GB request is a new search)."""
    if said.category and current.category and said.category != current.category:
        return True
    if said.category and said.provider and current.provider and said.provider != current.provider \
            and not said.amends:
        return True
    family = _provider_category(said.provider) if said.provider else None
    return bool(current.category and family and family != current.category and not said.category)


def _unresolved(item: Item) -> Item:
    """An item whose product was picked from a list knows that product's category (its operator
    only when the customer chose it: one read off a number stays a hint)."""
    if item.product is None:
        return item
    p = item.product
    provider = item.provider or (p.provider if not item.auto or item.category not in PHONE_CATEGORIES else None)
    return replace(item, category=item.category or p.category, provider=provider)


def _provider_category(provider: str) -> str | None:
    if provider in vocab.EWALLETS:
        return "ewallet"
    if provider in vocab.GAMES:
        return "game"
    if provider == "PLN":
        return "pln"
    return None


def pick(frame: Frame, product: Product, now: float, *, auto: bool = False) -> Frame:
    """The current item resolves to ``product``: chosen by the customer, or (``auto``) the only
    match of what they said."""
    current = frame.current
    item = replace(current, product=product, category=current.category or product.category, auto=auto)
    if current.kind is not None and item.kind != current.kind:
        item = replace(item, target=None)
    return frame.with_current(item, now)


def phone_operator(target: str | None) -> str | None:
    return vocab.provider_from_phone(target) if target and target.startswith("08") else None


def next_step(frame: Frame) -> tuple[Step, Item]:
    """What the conversation does next, and for which item (:attr:`Frame.current`): every item is
    resolved first, then every target asked for, then every number checked against its product's
    operator; then all are quoted together."""
    item = frame.current
    if item.product is None:
        return ("resolve" if item.described else "ask_what"), item
    if not item.target:
        return "ask_target", item
    if item.target.endswith("|"):
        return "ask_zone", item
    if mismatched(item):
        return "mismatch", item
    return "quote", item


def mismatched(item: Item) -> bool:
    """A phone product for a number of another operator (ported numbers exist, so we ask)."""
    p = item.product
    if p is None or p.category not in PHONE_CATEGORIES or not item.target or not p.provider or item.ported:
        return False
    operator = phone_operator(item.target)
    return operator is not None and operator != p.provider


def expire(frame: Frame, now: float) -> Frame:
    return Frame() if frame.expired(now) else frame
