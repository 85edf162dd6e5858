"""The sandbox's catalog: Atlantic-shaped price-list rows, the same on every start.

Field names, category and provider spellings follow what Atlantic sends (``Pulsa Reguler``,
``Data Internet``, ``E-Money``, ``MOBILE LEGENDS``, mixed casing such as ``LinkAja``), prices are
numeric strings, and cost prices sit in the ranges of the reference. A fixed seed makes codes and
prices identical on every start.
"""

from __future__ import annotations

import random
import zlib
from typing import Any

SEED = 20251124

OPERATORS = [
    # provider, code prefix, brand shown in names
    ("TELKOMSEL", "S", "Telkomsel"),
    ("INDOSAT", "I", "Indosat"),
    ("XL", "X", "XL"),
    ("AXIS", "AX", "Axis"),
    ("TRI", "T", "Tri"),
    ("SMARTFREN", "SM", "Smartfren"),
]
PULSA = [5_000, 10_000, 15_000, 20_000, 25_000, 50_000, 100_000]

# (name pattern, quota GB, validity days); every operator gets all of its own packages.
DATA_PACKAGES: dict[str, list[tuple[str, float, int]]] = {
    "TELKOMSEL": [("Data {q} 1 Hari", 1, 1), ("Data {q} 3 Hari", 1.5, 3), ("Data {q} 5 Hari", 2.5, 5),
                  ("Data {q} 7 Hari", 3, 7), ("Data {q} 30 Hari", 8, 30), ("Data {q} 30 Hari", 15, 30),
                  ("Data {q} 30 Hari", 25, 30), ("Data {q} 30 Hari", 50, 30)],
    "INDOSAT": [("Freedom Internet {q} 1 Hari", 1, 1), ("Freedom Internet {q} 7 Hari", 3, 7),
                ("Freedom Internet {q} 30 Hari", 5, 30), ("Freedom Internet {q} 30 Hari", 10, 30),
                ("Freedom Internet {q} 30 Hari", 20, 30), ("Freedom Internet {q} 30 Hari", 35, 30)],
    "XL": [("Xtra Combo {q} 7 Hari", 2, 7), ("Xtra Combo {q} 30 Hari", 5, 30), ("Xtra Combo {q} 30 Hari", 10, 30),
           ("Xtra Combo {q} 30 Hari", 15, 30), ("Xtra Combo {q} 30 Hari", 20, 30), ("Xtra Combo {q} 30 Hari", 35, 30),
           ("Data Harian {q} 1 Hari", 1, 1)],
    "AXIS": [("Bronet {q} 1 Hari", 0.5, 1), ("Bronet {q} 7 Hari", 2, 7), ("Bronet {q} 30 Hari", 3, 30),
             ("Bronet {q} 30 Hari", 5, 30), ("Bronet {q} 30 Hari", 8, 30), ("Bronet {q} 30 Hari", 12, 30)],
    "TRI": [("Happy {q} 1 Hari", 1, 1), ("Happy {q} 7 Hari", 3, 7), ("Happy {q} 30 Hari", 6, 30),
            ("Happy {q} 30 Hari", 10, 30), ("Happy {q} 30 Hari", 18, 30), ("Happy {q} 30 Hari", 42, 30)],
    "SMARTFREN": [("Unlimited Harian {q} 7 Hari", 1, 7), ("Nonstop {q} 14 Hari", 3, 14),
                  ("Nonstop {q} 28 Hari", 6, 28), ("Nonstop {q} 28 Hari", 12, 28),
                  ("Nonstop {q} 28 Hari", 20, 28), ("Nonstop {q} 28 Hari", 30, 28)],
}
# rupiah per GB by operator, before a per-package discount for bigger quotas
DATA_RATE = {"TELKOMSEL": 6_500, "INDOSAT": 5_200, "XL": 5_000, "AXIS": 4_800, "TRI": 3_600, "SMARTFREN": 4_200}

PLN = [20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000]
EWALLETS = [("DANA", "DANA", "DANA"), ("OVO", "OVO", "OVO"), ("GOPAY", "GOPAY", "GO PAY"),
            ("SHOPEE PAY", "SHP", "ShopeePay"), ("LinkAja", "LA", "LinkAja")]
EWALLET_AMOUNTS = [10_000, 20_000, 25_000, 50_000, 100_000, 150_000, 200_000]
ML_DIAMONDS = [3, 5, 12, 19, 28, 44, 59, 86, 172, 257, 344, 429, 514, 706, 878, 2195]
FF_DIAMONDS = [5, 12, 50, 70, 140, 355, 720, 1450, 2180]
VOUCHERS = [("GOOGLE PLAY", "GP", "Google Play", [10_000, 20_000, 50_000, 100_000])]
MEMBERSHIPS = [("NTSM1", "Netflix Semi Privat 1 Bulan", 32_100), ("NTFS1", "Netflix Sharing 1 Bulan", 21_500)]
EMPTY = {"S15", "AX25", "FF2180", "GP100", "SM_D6"}  # out of stock, as some products always are

POSTPAID = [
    # code, name, provider, admin fee (the price list shows it as the price)
    ("PPLN", "PLN Pascabayar", "PLN", 2_750),
    ("BPJS", "BPJS Kesehatan", "BPJS", 2_500),
    ("PINT1", "Internet Indihome", "INDIHOME", 2_500),
]


def _rupiah(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _quota(q: float) -> str:
    return f"{int(q * 1000)} MB" if q < 1 else f"{q:g} GB"


def prabayar() -> list[dict[str, Any]]:
    """Every prepaid product, as ``layanan/price_list?type=prabayar`` lists it."""
    rng = random.Random(SEED)
    items: list[dict[str, Any]] = []

    def add(code: str, name: str, category: str, type_: str, provider: str, cost: int) -> None:
        items.append({
            "code": code, "name": name, "category": category, "type": type_, "provider": provider,
            "brand_status": "1", "price": str(cost), "note": name,
            "status": "empty" if code in EMPTY else "available",
            "img_url": f"https://s3.atlantic-pedia.co.id/1700000000_{zlib.crc32(code.encode()):08x}.png",
        })

    for provider, prefix, brand in OPERATORS:
        for face in PULSA:
            # reference ranges: 5k → 5.5k-7k, 10k → 10.5k-12.5k, 50k → 49k-52k, 100k → 97k-102k
            spread = {5_000: (500, 2_000), 10_000: (500, 2_500), 50_000: (-1_000, 2_000),
                      100_000: (-3_000, 2_000)}.get(face, (300, 1_800))
            add(f"{prefix}{face // 1000}", f"{brand} {_rupiah(face)}", "Pulsa Reguler", "Umum", provider,
                face + rng.randint(*spread) // 25 * 25)
        for i, (pattern, quota, days) in enumerate(DATA_PACKAGES[provider], start=1):
            discount = 1.0 - min(0.45, quota / 100)
            cost = int(quota * DATA_RATE[provider] * discount + days * 40 + rng.randint(0, 900))
            name = f"{brand} " + pattern.format(q=_quota(quota))
            add(f"{prefix}_D{i}", name, "Data Internet", "Umum", provider, cost // 25 * 25)
    for face in PLN:
        add(f"PLN{face // 1000}", f"PLN {_rupiah(face)}", "PLN", "Token Listrik", "PLN",
            face + rng.randint(500, 2_500) // 25 * 25)
    for provider, prefix, brand in EWALLETS:
        for face in EWALLET_AMOUNTS:
            add(f"{prefix}{face // 1000}", f"{brand} {_rupiah(face)}", "E-Money", "Customer", provider,
                face + rng.randint(0, 2_000) // 25 * 25)
    for diamonds in ML_DIAMONDS:
        add(f"ML{diamonds}", f"MOBILELEGEND - {diamonds} Diamond", "Games", "Umum", "MOBILE LEGENDS",
            int(diamonds * rng.uniform(255, 300)) + 150)
    for diamonds in FF_DIAMONDS:
        add(f"FF{diamonds}", f"FREE FIRE - {diamonds} Diamond", "Games", "Umum", "FREE FIRE",
            int(diamonds * rng.uniform(135, 160)) + 100)
    for provider, prefix, brand, faces in VOUCHERS:
        for face in faces:
            add(f"{prefix}{face // 1000}", f"Voucher {brand} {_rupiah(face)}", "Voucher", "Voucher", provider,
                face + rng.randint(300, 1_500) // 25 * 25)
    for code, name, cost in MEMBERSHIPS:
        add(code, name, "Membership", "Streaming", "NETFLIX", cost)
    return items


def pascabayar() -> list[dict[str, Any]]:
    """Postpaid products, as ``layanan/price_list?type=pascabayar`` lists them (price = admin fee)."""
    return [
        {"code": code, "name": name, "category": "Pascabayar", "type": "Tagihan", "provider": provider,
         "brand_status": "1", "price": str(admin), "note": name, "status": "available",
         "img_url": f"https://s3.atlantic-pedia.co.id/1700000000_{code.lower()}.png"}
        for code, name, provider, admin in POSTPAID
    ]
