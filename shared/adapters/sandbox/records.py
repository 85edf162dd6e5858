"""What the simulated Atlantic account is made of: its settings, fee and bank tables, the target
shapes it accepts, the records it keeps (transactions, deposits, transfers, bills), and Atlantic's
JSON envelope. The behaviour is :mod:`shared.adapters.sandbox.engine`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Reply = tuple[int, dict[str, Any] | None]  # HTTP status, JSON body (None: empty body)

METHODS = [
    # metode, type, name, flat fee, % fee, min, max, label in deposit/status
    ("QRIS", "ewallet", "QRIS", 200, "0.7", 500, 5_000_000, "QRIS"),
    ("QRISFAST", "ewallet", "QRIS INSTANT", 200, "1.4", 2_000, 10_000_000, "QRIS INSTANT"),
    ("DANA", "ewallet", "DANA", 0, "1.5", 2_000, 5_000_000, "E-Wallet DANA"),
    ("OVO", "ewallet", "OVO", 0, "1.65", 2_000, 5_000_000, "E-Wallet OVO"),
    ("SHOPEEPAY", "ewallet", "SHOPEEPAY", 0, "2.1", 2_000, 5_000_000, "E-Wallet SHOPEEPAY"),
    ("LINKAJA", "ewallet", "LINKAJA", 0, "1.65", 2_000, 5_000_000, "E-Wallet LINKAJA"),
    ("BCA", "bank", "BCA Virtual Account", 0, "0", 10_000, 50_000_000, "Virtual Account BCA"),
    ("BRI", "bank", "BRI Virtual Account", 0, "0", 10_000, 50_000_000, "Virtual Account BRI"),
]
BANKS = [("1", "bca", "Bank Central Asia", "bank"), ("2", "bri", "Bank Rakyat Indonesia", "bank"),
         ("3", "mandiri", "Bank Mandiri", "bank"), ("4", "bni", "Bank Negara Indonesia", "bank"),
         ("5", "dana", "DANA", "ewallet"), ("6", "ovo", "OVO", "ewallet"), ("7", "gopay", "GoPay", "ewallet")]
NAMES = ["BUDI SANTOSO", "SITI RAHAYU", "AGUS PRASETYO", "DEWI LESTARI", "RUDI HARTONO", "NUR AINI",
         "EKO SUSANTO", "RINA WATI", "HENDRA GUNAWAN", "YULIANA PUTRI"]
TRANSFER_FEE = 2_000
INSTANT_FEE_PERCENT = Decimal("0.5")

PHONE = re.compile(r"^08[1-9][0-9]{7,10}$")
METER = re.compile(r"^[0-9]{11,12}$")
ML_ID = re.compile(r"^[0-9]{5,12}\|[0-9]{3,5}$")
GAME_ID = re.compile(r"^[0-9]{6,12}$")


def target_ok(product: dict[str, Any], target: str) -> bool:
    """Whether ``target`` has the shape Atlantic accepts for the product (meter, game id, phone)."""
    category, provider = product["category"], product["provider"]
    if category == "PLN":
        return bool(METER.match(target))
    if provider == "MOBILE LEGENDS":
        return bool(ML_ID.match(target))
    if category == "Games":
        return bool(GAME_ID.match(target))
    if category in ("Pulsa Reguler", "Data Internet", "E-Money"):
        return bool(PHONE.match(target))
    return bool(target.strip())


def deposit_fee(amount: int, flat: int, percent: str) -> int:
    """Atlantic's formula: ``round(fee + nominal * fee_persen / 100)`` (half up)."""
    fee = Decimal(flat) + Decimal(amount) * Decimal(percent) / 100
    return int(fee.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def ok(data: Any, *, message: str | None = "Data retrieved successfully", code: int = 200,
       status: Any = True) -> Reply:
    body: dict[str, Any] = {"status": status, "code": code}
    if message:
        body["message"] = message
    body["data"] = data
    return code, body


def fail(http: int, message: str) -> Reply:
    return http, {"status": False, "code": http, "message": message}


INVALID = fail(400, "Invalid request body")


@dataclass
class Trx:
    id: str
    reff_id: str
    code: str
    name: str
    target: str
    price: int
    kind: str  # prabayar | pascabayar
    created: float
    status: str = "pending"
    sn: str | None = None
    message: str | None = None
    due: float = 0.0


@dataclass
class Dep:
    id: str
    reff_id: str
    method: tuple
    amount: int
    fee: int
    created: float
    expires: float
    status: str = "pending"
    phone: str | None = None
    due: float | None = None  # when the next automatic step happens


@dataclass
class Xfer:
    id: str
    reff_id: str
    bank_code: str
    account: str
    name: str
    amount: int
    detail: dict
    created: float
    status: str = "pending"
    due: float = 0.0


@dataclass
class Bill:
    reff_id: str
    code: str
    customer_no: str
    name: str
    amount: int
    admin: int
    detail: dict
    paid_trx: str | None = None


@dataclass
class SandboxSettings:
    api_key: str = "sandbox"
    username: str = "sandbox"
    balance: int = 5_000_000
    trx_delay: float = 3.0
    deposit_pay_after: float | None = None
    settle_after: float = 2.0
    deposit_ttl: float = 3600.0
    callback_url: str | None = None
