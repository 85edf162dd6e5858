"""What the provider (Atlantic H2H) hands back, as typed, tolerant records.

Atlantic's replies vary: money comes as ``"8075"`` or ``8075``, ``status`` as ``true`` or
``"true"``, ``sn`` as ``null`` or padded text, and fields come and go. These models accept all of
that (unknown fields are ignored, missing optional ones are ``None``) and expose our names; the
Atlantic spelling is the validation alias. Statuses are kept as Atlantic sends them (lower
case); :func:`is_final` follows the reference: ``success``, ``failed``, ``cancel`` and
``expired`` are final, anything else — including values never seen before — is in flight.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field

WIB = timezone(timedelta(hours=7), "WIB")
FINAL_STATUSES = frozenset({"success", "failed", "cancel", "expired"})


def to_money(value: Any) -> int | None:
    """Whole rupiah from an int, a numeric string (``"8075"``, ``" 8075.00 "``) or null."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
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
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=WIB)


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

    @property
    def succeeded(self) -> bool:
        return self.status == "success"

    @property
    def failed(self) -> bool:
        return self.status in FINAL_STATUSES - {"success"}


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


class InstantSettlement(Record):
    """``deposit/instant``: the handling fee (quote) or the settlement it bought."""

    id: Text = None
    reff_id: Text = None
    amount: OptMoney = alias("nominal", "amount")
    handling_fee: OptMoney = alias("penanganan", "handling_fee")
    total_fee: OptMoney = None
    credited: OptMoney = alias("total_diterima", "credited")
    status: Status = "unknown"
    created_at: Time = None


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


class Callback(Record):
    """An Atlantic callback body: ``{"event", "status", "data"}``. Never act on it alone."""

    event: str
    status: Text = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def data_status(self) -> str:
        return to_status(self.data.get("status") or self.status)
