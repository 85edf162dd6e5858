"""Normalizing Atlantic's price list into our catalog.

Atlantic's ``category`` is free text (``Pulsa Reguler``, ``Data Internet``, ``E-Money``, ``Games``,
``Membership``) and its ``provider`` casing varies (``SHOPEE PAY``, ``LinkAja``). Each product
becomes one :class:`CatalogProduct`: our category, a canonical upper-case provider, and what can be
read from its name — face value (``nominal``) for pulsa, e-wallets, PLN and vouchers; quota in GB
and validity in days for data packages; units (diamonds) for games.
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.domain import vocab

if TYPE_CHECKING:
    from shared.domain.supplier import PriceItem


@dataclass(frozen=True)
class CatalogProduct:
    code: str
    name: str
    category: str
    provider: str
    type: str  # prabayar | pascabayar
    cost: int
    status: str  # available | empty
    nominal: int | None = None
    quota_gb: Decimal | None = None
    validity_days: int | None = None
    units: int | None = None
    description: str | None = None

    def as_row(self, raw: dict[str, Any] | None = None) -> dict[str, Any]:
        """The row ``sync_products`` takes, built field by field (this runs once per product); an
        empty field is left out (the SQL reads a missing key as null): a smaller list to send."""
        row: dict[str, Any] = {"code": self.code, "name": self.name, "category": self.category,
                               "provider": self.provider, "type": self.type, "cost": self.cost, "status": self.status}
        if self.nominal is not None:
            row["nominal"] = self.nominal
        if self.quota_gb is not None:
            row["quota_gb"] = str(self.quota_gb)
        if self.validity_days is not None:
            row["validity_days"] = self.validity_days
        if self.units is not None:
            row["units"] = self.units
        if self.description is not None:
            row["description"] = self.description
        if raw:
            row["raw"] = raw
        return row


def source_fields(item: PriceItem) -> dict[str, Any]:
    """What Atlantic says of a product that no column keeps: its own category and type (region)
    texts and its image. (Code, name, price, provider, status and note have columns of their own,
    so the price list is not stored twice.)"""
    return {k: v for k, v in (("category", item.category), ("type", item.type), ("img_url", item.img_url)) if v}


def our_category(atlantic_category: str, provider: str, kind: str, name: str = "") -> str:
    """Atlantic's category text (and the canonical provider) → ours: pulsa, data, ewallet, pln, game,
    voucher, bill or other (the ``products.category`` check)."""
    return _category(atlantic_category, provider, kind, "diamond" in name.lower())


@functools.lru_cache(maxsize=4096)  # a few hundred combinations in a price list of any size
def _category(atlantic_category: str, provider: str, kind: str, diamonds: bool) -> str:
    c = atlantic_category.lower()
    if kind == "pascabayar" or "pascabayar" in c or "tagihan" in c:
        return "bill"
    if provider in vocab.EWALLETS or any(w in c for w in ("e-money", "emoney", "e-wallet", "ewallet", "saldo")):
        return "ewallet"
    if provider == "PLN" or "pln" in c or "listrik" in c:
        return "pln"
    if provider in vocab.GAMES or "game" in c or diamonds:
        return "game"
    if "pulsa" in c:
        return "pulsa"
    if any(w in c for w in ("data", "internet", "kuota")):
        return "data"
    if "voucher" in c:
        return "voucher"
    return "other"


_MONEY = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+)\s*(rb|ribu|k|jt|juta)?\b", re.I)
_QUOTA = re.compile(r"(\d+(?:[.,]\d+)?)\s*(gb|mb)\b", re.I)
_VALIDITY = re.compile(r"(\d+)\s*(hari|hr|days?|minggu|bulan|bln)\b", re.I)
_UNITS = re.compile(r"(\d+)\s*(diamonds?|dm|uc|gems)\b", re.I)


def face_value(name: str) -> int | None:
    """The largest money amount written in ``name`` (``Telkomsel 5.000`` → 5000, ``PLN 1.000.000``)."""
    values = []
    for digits, unit in _MONEY.findall(name):
        value = int(digits.replace(".", ""))
        if unit:
            value *= vocab.MULTIPLIERS[unit.lower()]
        if value >= 1_000:
            values.append(value)
    return max(values) if values else None


def quota_gb(name: str) -> Decimal | None:
    """Total quota in GB written in ``name`` (``2 GB + 1 GB`` → 3; ``500 MB`` → 0.5)."""
    total = Decimal(0)
    for number, unit in _QUOTA.findall(name):
        value = Decimal(number.replace(",", "."))
        total += value if unit.lower() == "gb" else value / 1000
    return total if total else None


def validity_days(name: str) -> int | None:
    match = _VALIDITY.search(name)
    if not match:
        return None
    return int(match.group(1)) * vocab.VALIDITY_UNITS[match.group(2).lower()]


def units(name: str) -> int | None:
    match = _UNITS.search(name)
    return int(match.group(1)) if match else None


def normalize(item: PriceItem, kind: str) -> CatalogProduct:
    """One price-list row → our catalog row (the cost is Atlantic's ``price``)."""
    provider = vocab.canonical_provider(item.provider)
    category = our_category(item.category, provider, kind, item.name)
    name = item.name.strip() or item.code
    return CatalogProduct(
        code=item.code.strip(),
        name=name,
        category=category,
        provider=provider,
        type="pascabayar" if kind == "pascabayar" else "prabayar",
        cost=item.price,
        status="available" if item.available else "empty",
        nominal=face_value(name) if category in ("pulsa", "ewallet", "pln", "voucher") else None,
        quota_gb=quota_gb(name) if category == "data" else None,
        validity_days=validity_days(name) if category in ("data", "other", "voucher") else None,
        units=units(name) if category == "game" else None,
        description=item.note if item.note and item.note != name else None,
    )


@dataclass(frozen=True)
class ProductHit:
    """A product as search returns it; ``price`` is the sell price (cost never leaves the store)."""

    code: str
    name: str
    category: str
    provider: str
    type: str
    nominal: int | None
    price: int
    status: str
    quota_gb: Decimal | None = None
    validity_days: int | None = None
    units: int | None = None

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["quota_gb"] = float(self.quota_gb) if self.quota_gb is not None else None
        return out


@dataclass(frozen=True)
class SyncResult:
    received: int
    new: int
    changed: int
    unavailable: int
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogStats:
    available: int
    empty: int
    unavailable: int
    last_synced_at: str | None = None
