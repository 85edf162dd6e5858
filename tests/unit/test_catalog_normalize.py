"""Atlantic price-list rows → our catalog rows (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.catalog import face_value, normalize, our_category, quota_gb, validity_days
from shared.domain.supplier import PriceItem
from shared.domain.vocab import canonical_provider


def item(**kw) -> PriceItem:  # type: ignore[no-untyped-def]
    return PriceItem.model_validate({"code": "C1", "price": "1000", "status": "available", **kw})


@pytest.mark.parametrize("raw, canonical", [
    ("TELKOMSEL", "TELKOMSEL"), ("SHOPEE PAY", "SHOPEEPAY"), ("LinkAja", "LINKAJA"), ("GO PAY", "GOPAY"),
    ("Genshin Impact", "GENSHIN IMPACT"), ("MOBILELEGEND", "MOBILE LEGENDS"), ("three", "TRI"), ("Zepeto", "ZEPETO"),
    ("", "OTHER"),
])
def test_canonical_provider(raw: str, canonical: str) -> None:
    assert canonical_provider(raw) == canonical


@pytest.mark.parametrize("category, provider, kind, ours", [
    ("Pulsa Reguler", "XL", "prabayar", "pulsa"), ("Pulsa Transfer", "XL", "prabayar", "pulsa"),
    ("Data Internet", "TELKOMSEL", "prabayar", "data"), ("E-Money", "DANA", "prabayar", "ewallet"),
    ("Saldo E-Wallet", "OVO", "prabayar", "ewallet"), ("PLN", "PLN", "prabayar", "pln"),
    ("Token Listrik", "PLN", "prabayar", "pln"), ("Games", "FREE FIRE", "prabayar", "game"),
    ("Voucher", "GOOGLE PLAY", "prabayar", "voucher"), ("Membership", "NETFLIX", "prabayar", "other"),
    ("Paket SMS & Telpon", "INDOSAT", "prabayar", "other"), ("Pascabayar", "PLN", "pascabayar", "bill"),
])
def test_our_category(category: str, provider: str, kind: str, ours: str) -> None:
    assert our_category(category, provider, kind) == ours


def test_name_parsing() -> None:
    assert face_value("Telkomsel 5.000") == 5_000
    assert face_value("PLN 1.000.000") == 1_000_000
    assert face_value("DANA 25K") == 25_000
    assert face_value("Pulsa 5rb Promo 2x") == 5_000
    assert quota_gb("Telkomsel Data 1.5 GB 3 Hari (Jawa Tengah - DIY)") == Decimal("1.5")
    assert quota_gb("XL 2 GB + 1 GB Youtube") == Decimal("3")
    assert quota_gb("Axis Bronet 500 MB 1 Hari") == Decimal("0.5")
    assert validity_days("Indosat 10 GB 30 Hari") == 30 and validity_days("Netflix 1 Bulan") == 30
    assert validity_days("Tri 3 GB 2 Minggu") == 14


def test_normalize_a_row() -> None:
    row = normalize(item(code="DIY1", name="Telkomsel Data 1.5 GB 3 Hari (Jawa Tengah - DIY)", category="Data Internet",
                         provider="TELKOMSEL", price="8075"), "prabayar")
    assert (row.category, row.provider, row.cost, row.quota_gb, row.validity_days, row.nominal, row.status) == \
        ("data", "TELKOMSEL", 8075, Decimal("1.5"), 3, None, "available")
    empty = normalize(item(name="MOBILELEGEND - 3 Diamond", category="Games", provider="MOBILE LEGENDS",
                           status="Empty"), "prabayar")
    assert (empty.category, empty.units, empty.status) == ("game", 3, "empty")
