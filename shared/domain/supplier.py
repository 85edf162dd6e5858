"""What the provider (Atlantic H2H) hands back, as typed, tolerant records.

Atlantic's replies vary: money comes as ``"8075"`` or ``8075``, ``status`` as ``true`` or
``"true"``, ``sn`` as ``null`` or padded text, and fields come and go. These models accept all of
that (unknown fields are ignored, missing optional ones are ``None``) and expose our names; the
Atlantic spelling is the validation alias. Statuses are kept as Atlantic sends them (lower
case); :func:`is_final` follows the reference: ``success``, ``failed``, ``cancel`` and
``expired`` are final, anything else — including values never seen before — is in flight.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

# Atlantic's clock: its timestamps carry no zone and are read as Jakarta time (WIB). This is
# Atlantic's, not the shop's: a seller in Makassar (TIMEZONE=Asia/Makassar) still gets WIB here.
ATLANTIC_TIMEZONE = ZoneInfo("Asia/Jakarta")
FINAL_STATUSES = frozenset({"success", "failed", "cancel", "expired"})


def to_money(value: Any) -> int | None:
    """Whole rupiah from an int, a numeric string (``"8075"``, ``" 8075.00 "``) or null."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isascii() and text.isdigit():  # the usual "8075": no Decimal needed (a price list has 100k)
        return int(text)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("not an amount of rupiah") from None
    if number != number.to_integral_value():
        raise ValueError("rupiah amounts are whole numbers")
    return int(number)


def to_text(value: Any) -> str | None:
    """Stripped text; blank becomes ``None`` (``sn`` arrives as null, "" or padded)."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def to_status(value: Any) -> str:
    return (to_text(value) or "unknown").lower()


def to_time(value: Any) -> datetime | None:
    """Atlantic's ``YYYY-MM-DD HH:MM:SS`` (WIB, no zone given); anything unparsable is ``None``."""
    text = to_text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ATLANTIC_TIMEZONE)


def to_flag(value: Any) -> bool:
    """Atlantic's truthy values: ``true``, ``"true"``, ``1``, ``"1"``."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)


Money = Annotated[int, BeforeValidator(to_money)]
OptMoney = Annotated[int | None, BeforeValidator(to_money)]
Text = Annotated[str | None, BeforeValidator(to_text)]
Status = Annotated[str, BeforeValidator(to_status)]
Time = Annotated[datetime | None, BeforeValidator(to_time)]
Percent = Annotated[Decimal, BeforeValidator(lambda v: Decimal(str(v).strip() or "0"))]


def alias(*names: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names))


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Tracked(Record):
    """A record with a lifecycle status (transactions, payments, deposits, transfers)."""

    status: Status = "pending"

    @property
    def final(self) -> bool:
        return is_final(self.status)


class Profile(Record):
    name: Text = None
    username: Text = None
    email: Text = None
    phone: Text = None
    balance: Money = 0
    status: Status = "unknown"


class PriceItem(Record):
    """One row of ``layanan/price_list``; ``price`` is what Atlantic charges us."""

    code: str
    name: str = ""
    category: str = ""
    type: str = ""
    provider: str = ""
    price: Money
    note: Text = None
    status: Status = "unknown"
    img_url: Text = None

    @property
    def available(self) -> bool:
        return self.status == "available"


class Transaction(Tracked):
    """A prepaid or postpaid transaction (``transaksi/create``, ``/status``, callbacks)."""

    id: Text = None
    reff_id: Text = None
    product_name: Text = alias("layanan", "product_name")
    code: Text = None
    target: Text = None
    price: OptMoney = None
    sn: Text = None
    message: Text = None
    created_at: Time = None


class Bill(Record):
    """A postpaid bill inquiry (``transaksi/tagihan``). Never assume total = amount + admin."""

    reff_id: Text = None
    customer_no: Text = alias("nomor_pelanggan", "customer_no")
    customer_name: Text = alias("nama_pelanggan", "customer_name")
    code: Text = None
    amount: OptMoney = alias("harga", "amount")
    admin_fee: OptMoney = alias("biaya_admin", "admin_fee")
    total: OptMoney = alias("total_tagihan", "total")
    detail: dict[str, Any] | list[Any] | None = None


class BillPayment(Tracked):
    """The answer to ``transaksi/tagihan/bayar`` (it usually carries no ``id``)."""

    id: Text = None
    reff_id: Text = None
    customer_no: Text = alias("nomor_pelanggan", "customer_no")
    customer_name: Text = alias("nama_pelanggan", "customer_name")
    code: Text = None
    amount: OptMoney = alias("harga", "amount")
    sn: Text = None
    created_at: Time = None


class DepositMethod(Record):
    code: str = Field(validation_alias=AliasChoices("metode", "code"))
    type: Text = None
    name: Text = None
    min: OptMoney = None
    max: OptMoney = None
    fee: Money = 0
    fee_percent: Percent = alias("fee_persen", "fee_percent")
    status: Status = "unknown"
    img_url: Text = None

    @property
    def active(self) -> bool:
        return self.status == "aktif"


class Deposit(Tracked):
    """A deposit / QRIS checkout. ``net`` is what reaches the balance (``get_balance``)."""

    id: Text = None
    reff_id: Text = None
    amount: OptMoney = alias("nominal", "amount")
    extra: OptMoney = alias("tambahan", "extra")
    fee: OptMoney = None
    net: OptMoney = alias("get_balance", "net")
    method: Text = alias("metode", "method")
    qr_string: Text = None
    qr_image: Text = None
    url: Text = None
    bank: Text = None
    account_number: Text = alias("nomor_va", "tujuan", "account_number")
    account_name: Text = alias("atas_nama", "account_name")
    created_at: Time = None
    expires_at: Time = alias("expired_at", "expires_at")


class Bank(Record):
    id: Text = None
    code: str = Field(validation_alias=AliasChoices("bank_code", "code"))
    name: Text = alias("bank_name", "name")
    type: Text = None


class AccountCheck(Record):
    bank_code: Text = alias("kode_bank", "bank_code")
    account_number: Text = alias("nomor_akun", "account_number")
    owner: Text = alias("nama_pemilik", "owner")
    status: Status = "unknown"

    @property
    def valid(self) -> bool:
        return self.status == "valid"


class Transfer(Tracked):
    id: Text = None
    reff_id: Text = alias("reff_id", "ref_id")
    name: Text = alias("nama", "name")
    account_number: Text = alias("nomor_tujuan", "account_number")
    bank_code: Text = None
    amount: OptMoney = alias("nominal", "amount")
    fee: OptMoney = None
    total: OptMoney = None
    detail: dict[str, Any] | None = None
    created_at: Time = None


_EVENT = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")
_IDENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STATUS = re.compile(r"^[A-Za-z_ ]{1,32}$")


@dataclass(frozen=True)
class Callback:
    """An Atlantic callback body, ``{"event", "status", "data": {"id", "reff_id", "status", ...}}``,
    reduced to what says *which* object to look at. Its claims are never acted on: the object is
    re-queried at Atlantic and that answer applied."""

    event: str
    id: str | None
    reff_id: str | None
    status: str  # what the body claims (data.status, else the top-level status), lower case

    @classmethod
    def parse(cls, body: Any) -> Callback:
        """Strictly: a short lower-case event, an object ``data`` naming an id and/or a ref of
        letters, digits, ``_`` and ``-``. Raises ``ValueError`` for anything else (the webhook
        answers 400). The claimed status is only a hint; an odd one reads as ``unknown``."""
        if not isinstance(body, dict):
            raise ValueError("a callback is a JSON object")
        event, data = body.get("event"), body.get("data")
        if not isinstance(event, str) or not _EVENT.match(event):
            raise ValueError("event must be a short lower-case name")
        if not isinstance(data, dict):
            raise ValueError("data must be an object")

        def ident(name: str) -> str | None:
            value = data.get(name)
            if value is None or value == "":
                return None
            if isinstance(value, bool) or not isinstance(value, (str, int)) or not _IDENT.match(str(value)):
                raise ValueError(f"data.{name} must be letters, digits, '_' or '-'")
            return str(value)

        def status(value: Any) -> str | None:  # only a hint of what to expect: never fatal
            return value.strip().lower() if isinstance(value, str) and _STATUS.match(value) else None

        atlantic_id, reff_id = ident("id"), ident("reff_id")
        if atlantic_id is None and reff_id is None:
            raise ValueError("no data.id or data.reff_id")
        claimed = status(data.get("status")) or status(body.get("status")) or "unknown"
        return cls(event, atlantic_id, reff_id, claimed)
