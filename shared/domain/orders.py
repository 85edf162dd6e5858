"""Orders and payments as services see them: quotes, confirmations, QRIS checkouts, fulfilment.

Order states: ``quoted → confirmed → paid → processing → success | failed → refunded``, plus
``expired`` and ``cancelled``. The price is fixed at the quote; money moves only through the
ledger.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

PAID_STATES = frozenset({"paid", "processing", "success", "failed", "refunded"})

# Our references: BJ (orders) or PY (payments) and 8 characters of Crockford's base 32.
_CROCKFORD_READS = str.maketrans({"O": "0", "I": "1", "L": "1"})
REF_PATTERN = r"(?:BJ|PY)[0-9A-HJKMNP-TV-Z]{8}"


def normalize_ref(raw: str) -> str:
    """A reference as a customer may type it back (``bj-7kq2 m9xh``, an O for a 0) → ``BJ7KQ2M9XH``."""
    text = "".join(ch for ch in raw.upper() if ch.isalnum())
    return text[:2] + text[2:].translate(_CROCKFORD_READS)


def _ts(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Order:
    """An order row as the store returns it; ``price`` was fixed from ``products`` at the quote."""

    order_id: int
    ref: str
    code: str
    name: str
    target: str
    price: int
    status: str
    category: str | None = None
    provider: str | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    sn: str | None = None
    cost: int | None = None
    kind: str = "prabayar"
    batch: str | None = None
    bill: dict[str, Any] | None = None
    atlantic_id: str | None = None
    payment_method: str | None = None
    customer_id: int | None = None
    submit_attempts: int = 0
    failure_reason: str | None = None
    outcome: str | None = None  # of the call that returned it: paid, refunded, submit, already, ...
    recent_duplicate: dict[str, Any] | None = None
    fee_paid: int = 0  # the QRIS fee the customer paid for this order (refunded with it on failure)
    flipped_to: str | None = None  # Atlantic's final status when it contradicts ours (a reversal)
    supplier_status: str | None = None
    payment_ref: str | None = None  # the checkout paying for it, and how that stands
    payment_status: str | None = None

    @property
    def paid_for(self) -> bool:
        """The customer's money is in: paid, being processed, delivered, or refunded after a failure."""
        return self.status in PAID_STATES

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Order:
        return cls(order_id=row["order_id"], ref=row["ref"], code=row["code"], name=row["name"],
                   target=row["target"], price=int(row["price"]), status=row["status"],
                   category=row.get("category"), provider=row.get("provider"), expires_at=_ts(row.get("expires_at")),
                   created_at=_ts(row.get("created_at")), finished_at=_ts(row.get("finished_at")), sn=row.get("sn"),
                   cost=row.get("cost"), kind=row.get("kind") or "prabayar", batch=row.get("batch"),
                   bill=row.get("bill"), atlantic_id=row.get("atlantic_id"),
                   payment_method=row.get("payment_method"), customer_id=row.get("customer_id"),
                   submit_attempts=int(row.get("submit_attempts") or 0), failure_reason=row.get("failure_reason"),
                   outcome=row.get("outcome"), recent_duplicate=row.get("recent_duplicate"),
                   fee_paid=int(row.get("fee_paid") or 0), flipped_to=row.get("flipped_to"),
                   supplier_status=row.get("supplier_status"),
                   payment_ref=(row.get("payment") or {}).get("ref"),
                   payment_status=(row.get("payment") or {}).get("status"))

    def as_state(self) -> dict[str, Any]:
        """The compact form kept in the conversation state."""
        out = {k: v for k, v in asdict(self).items() if k in ("order_id", "ref", "code", "name", "target", "price",
                                                              "category", "provider", "kind")}
        out["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        if self.bill:
            out["bill"] = self.bill
        return out


@dataclass(frozen=True)
class Confirmation:
    """What ``confirm_orders`` did:

    - ``paid``: paid from saldo in the same transaction;
    - ``insufficient_saldo``: confirmed, the saldo does not cover ``total``;
    - ``awaiting_qris``: confirmed, a checkout for ``total`` is to be made;
    - ``awaiting_payment``: a checkout (``payment``) already waits for these orders: show it again;
    - ``already_paid``: paid before (being processed, delivered or refunded): nothing is charged;
    - ``expired``: the quotes expired or were cancelled: nothing left to pay.
    """

    outcome: str
    orders: tuple[Order, ...]
    total: int
    saldo: int
    payment: str | None = None


@dataclass(frozen=True)
class Payment:
    payment_id: int
    ref: str
    customer_id: int
    kind: str  # order | deposit
    method: str
    amount: int  # what the payer pays
    fee: int
    fee_payer: str
    status: str  # pending | paid | expired | cancelled | failed
    atlantic_id: str | None = None
    qr_string: str | None = None
    url: str | None = None
    expires_at: datetime | None = None
    credited: int | None = None
    orders: tuple[str, ...] = ()
    outcome: str | None = None
    paid: tuple[str, ...] = ()       # orders paid by this settlement
    stranded: tuple[str, ...] = ()   # orders it could not pay (expired/cancelled): the money stays in saldo
    saldo: int | None = None

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Payment:
        return cls(payment_id=row["payment_id"], ref=row["ref"], customer_id=row["customer_id"], kind=row["kind"],
                   method=row["method"], amount=int(row["amount"]), fee=int(row["fee"]), fee_payer=row["fee_payer"],
                   status=row["status"], atlantic_id=row.get("atlantic_id"), qr_string=row.get("qr_string"),
                   url=row.get("url"), expires_at=_ts(row.get("expires_at")), credited=row.get("credited"),
                   orders=tuple(row.get("orders") or ()), outcome=row.get("outcome"),
                   paid=tuple(row.get("paid") or ()), stranded=tuple(row.get("stranded") or ()),
                   saldo=row.get("saldo"))


def method_fee(amount: int, flat: int, percent: Decimal | str) -> int:
    """Atlantic's deposit fee: ``round(flat + amount × percent / 100)`` (half up)."""
    fee = Decimal(flat) + Decimal(amount) * Decimal(str(percent)) / 100
    return int(fee.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def gross_for_net(net: int, flat: int, percent: Decimal | str) -> tuple[int, int]:
    """The amount to charge so that ``amount - fee(amount) >= net``: returns (amount, fee)."""
    rate = Decimal(str(percent)) / 100
    amount = int(((Decimal(net) + flat) / (1 - rate)).to_integral_value(rounding="ROUND_FLOOR"))
    while amount - method_fee(amount, flat, percent) < net:
        amount += 1
    return amount, method_fee(amount, flat, percent)


@dataclass(frozen=True)
class Checkout:
    """How much a QRIS / e-wallet checkout asks and who carries Atlantic's fee."""

    amount: int
    fee: int
    fee_payer: str
    notes: list[str] = field(default_factory=list)


def plan_checkout(total: int, margin: int, flat: int, percent: Decimal | str, fee_payer: str) -> Checkout:
    """Who pays the fee is a setting, but the fee never eats the whole margin: when the seller
    would pay more than the margin, the customer pays the fee for this checkout."""
    fee = method_fee(total, flat, percent)
    if fee_payer == "seller" and fee < margin:
        return Checkout(total, fee, "seller")
    amount, fee = gross_for_net(total, flat, percent)
    notes = ["seller fee above margin"] if fee_payer == "seller" else []
    return Checkout(amount, fee, "customer", notes)
