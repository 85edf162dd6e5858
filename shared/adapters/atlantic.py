"""Atlantic H2H client: every endpoint of the reference, over httpx, tolerant of what comes back.

Every call is ``POST <base>/<endpoint>`` with a form-urlencoded body carrying ``api_key``. The
envelope is ``{"status", "message", "data", "code"}``; ``status`` may be ``true`` or ``"true"``;
errors come with 4xx/5xx *and* a JSON body, except an unknown path (404, empty) and the odd
transient 500 with an empty body; a CDN may answer with an HTML page. The answer becomes a typed
record of :mod:`shared.domain.supplier` or one of the :class:`shared.errors.SupplierError`
subclasses, chosen from Atlantic's message.

Reads retry (network errors, timeouts, 5xx, non-JSON bodies) a few times with a short backoff;
calls that create or change something (transactions, bill payments, deposits, transfers) are
sent once: a failure there is ambiguous, and the caller resolves it by status or callback.
"""

from __future__ import annotations

import logging
import time
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.domain.supplier import (
    AccountCheck,
    Bank,
    Bill,
    BillPayment,
    Deposit,
    DepositMethod,
    PriceItem,
    Profile,
    Transaction,
    Transfer,
    to_flag,
)
from shared.domain.retries import worst_case_seconds
from shared.errors import (
    DuplicateReference,
    InvalidRequest,
    InvalidTarget,
    PriceAboveLimit,
    SupplierProductUnavailable,
    SupplierBalanceInsufficient,
    SupplierError,
    SupplierUnavailable,
)

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

# Some CDNs in front of Atlantic refuse obvious bots; integrators send a browser-like agent.
USER_AGENT = "Mozilla/5.0 (compatible; BotJualWA/1.0; +https://github.com/)"


def classify(message: str, http_status: int | None, endpoint: str | None = None) -> SupplierError:
    """Turn Atlantic's ``message`` (and HTTP status) into our error class."""
    m = message.lower()
    kind: type[SupplierError]
    if "saldo" in m and ("cukup" in m or "kurang" in m):
        kind = SupplierBalanceInsufficient
    elif "limit" in m and ("harga" in m or "price" in m):
        kind = PriceAboveLimit
    elif "uplicate" in m or "sudah ada" in m or "sudah digunakan" in m or "sudah terdaftar" in m:
        kind = DuplicateReference
    elif "produk" in m or "product" in m:
        kind = SupplierProductUnavailable
    elif any(w in m for w in ("wajib", "invalid request", "metode", "api key", "apikey", "minimal", "maksimal")):
        kind = InvalidRequest
    elif any(w in m for w in ("target", "tujuan", "pelanggan", "meter", "rekening", "nomor")):
        kind = InvalidTarget
    elif "tidak ditemukan" in m or "not found" in m or "tidak valid" in m:
        kind = InvalidRequest
    elif http_status is not None and (http_status >= 500 or http_status == 429):
        kind = SupplierUnavailable
    else:
        kind = SupplierError
    return kind(message, http_status=http_status, endpoint=endpoint)


class AtlanticClient:
    """One Atlantic H2H account. Build it once per instance; it keeps one connection pool."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 15.0,
        list_timeout: float = 60.0,
        read_retries: int = 2,
        backoff: float = 0.5,
        transport: Any = None,
    ) -> None:
        import httpx

        self._api_key = api_key
        self._timeout = timeout
        self._read_retries = read_retries
        self._backoff = backoff
        self._list_timeout = httpx.Timeout(max(timeout, list_timeout), connect=min(timeout, 5.0))
        from shared.adapters.http import tls_context

        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            verify=tls_context(),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=transport,
        )

    def worst_case_seconds(self, *, read: bool) -> float:
        """The longest one call may take (timeouts, retries and backoff included)."""
        return worst_case_seconds(self._timeout, self._read_retries, self._backoff, read=read)

    # -- transport ----------------------------------------------------------------------------

    def _once(self, endpoint: str, fields: dict[str, Any], timeout: Any) -> Any:
        import httpx

        form = {"api_key": self._api_key}
        form.update({k: str(v) for k, v in fields.items() if v is not None})
        started = time.perf_counter()
        try:
            response = self._http.post(endpoint, data=form, **({"timeout": timeout} if timeout else {}))
        except httpx.TimeoutException as exc:
            raise SupplierUnavailable(f"timed out: {exc}", endpoint=endpoint) from exc
        except httpx.HTTPError as exc:
            raise SupplierUnavailable(f"unreachable: {type(exc).__name__}: {exc}", endpoint=endpoint) from exc
        status = response.status_code
        log.debug("atlantic %s -> HTTP %s in %.0f ms", endpoint, status, (time.perf_counter() - started) * 1000)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status == 404:
                raise InvalidRequest("unknown endpoint (404 with an empty body)", http_status=status, endpoint=endpoint)
            raise SupplierUnavailable(f"answer is not Atlantic JSON (HTTP {status})", http_status=status,
                                      endpoint=endpoint)
        if response.is_success and to_flag(body.get("status")):
            return body.get("data")
        message = str(body.get("message") or f"HTTP {status} without a message")
        error = classify(message, status, endpoint)
        log.warning("atlantic %s refused (HTTP %s): %s", endpoint, status, message)
        raise error

    def _call(self, endpoint: str, fields: dict[str, Any], *, read: bool, timeout: Any = None) -> Any:
        attempts = 1 + (self._read_retries if read else 0)
        for attempt in range(attempts):
            try:
                return self._once(endpoint, fields, timeout)
            except SupplierUnavailable:
                if attempt + 1 >= attempts:
                    raise
                time.sleep(self._backoff * 2**attempt)
        raise AssertionError("unreachable")

    @staticmethod
    def _one(model: type[M], data: Any, endpoint: str) -> M:
        try:
            return model.model_validate(data if isinstance(data, dict) else {})
        except ValidationError as exc:
            raise SupplierError(f"unexpected reply shape: {exc.error_count()} problem(s)", endpoint=endpoint) from exc

    @staticmethod
    def _many(model: type[M], data: Any, endpoint: str) -> list[M]:
        """A list reply; a malformed row is skipped (and logged), not fatal to the list."""
        rows = []
        for row in data if isinstance(data, list) else []:
            try:
                rows.append(model.model_validate(row))
            except ValidationError as exc:
                log.warning("atlantic %s: skipped a malformed row (%d problem(s))", endpoint, exc.error_count())
        return rows

    # -- account and catalog ------------------------------------------------------------------

    def profile(self) -> Profile:
        """Account and balance (``get_profile``); ``username`` is what callbacks are signed with."""
        return self._one(Profile, self._call("/get_profile", {}, read=True), "/get_profile")

    def price_list(self, type: str = "prabayar", code: str | None = None) -> list[PriceItem]:
        """The catalogue (``layanan/price_list``), ``prabayar`` or ``pascabayar``; filtered to
        ``code`` here too, since Atlantic may ignore the parameter."""
        data = self._call("/layanan/price_list", {"type": type, "code": code}, read=True, timeout=self._list_timeout)
        items = self._many(PriceItem, data, "/layanan/price_list")
        return [i for i in items if i.code == code] if code else items

    # -- prepaid ------------------------------------------------------------------------------

    def create_transaction(self, code: str, reff_id: str, target: str, *, limit_price: int | None = None) -> Transaction:
        """Buy a prepaid product (sent once). Store the returned ``id``: status needs it."""
        data = self._call("/transaksi/create",
                          {"code": code, "reff_id": reff_id, "target": target, "limit_price": limit_price},
                          read=False)
        return self._one(Transaction, data, "/transaksi/create")

    def transaction_status(self, id: str, type: str = "prabayar") -> Transaction:
        """Status by Atlantic's transaction id (not our reff_id)."""
        return self._one(Transaction, self._call("/transaksi/status", {"id": id, "type": type}, read=True),
                         "/transaksi/status")

    # -- postpaid -----------------------------------------------------------------------------

    def bill_inquiry(self, code: str, reff_id: str, customer_no: str) -> Bill:
        """``cek tagihan``: name, period(s), bill, admin fee and total. Pay with the same reff_id."""
        data = self._call("/transaksi/tagihan", {"code": code, "reff_id": reff_id, "customer_no": customer_no},
                          read=False)
        return self._one(Bill, data, "/transaksi/tagihan")

    def pay_bill(self, code: str, reff_id: str, customer_no: str) -> BillPayment:
        """Pay an inquired bill (sent once); Atlantic's id arrives later by callback."""
        data = self._call("/transaksi/tagihan/bayar", {"code": code, "reff_id": reff_id, "customer_no": customer_no},
                          read=False)
        return self._one(BillPayment, data, "/transaksi/tagihan/bayar")

    # -- deposits -----------------------------------------------------------------------------

    def deposit_methods(self, type: str | None = None, method: str | None = None) -> list[DepositMethod]:
        data = self._call("/deposit/metode", {"type": type, "metode": method}, read=True)
        return self._many(DepositMethod, data, "/deposit/metode")

    def create_deposit(self, reff_id: str, amount: int, method: str, *, type: str = "ewallet",
                       phone: str | None = None) -> Deposit:
        """A deposit / QRIS checkout (sent once): QR string, deep link or VA, fee and expiry."""
        data = self._call("/deposit/create", {"reff_id": reff_id, "nominal": amount, "type": type,
                                              "metode": method, "phone": phone}, read=False)
        return self._one(Deposit, data, "/deposit/create")

    def deposit_status(self, id: str) -> Deposit:
        return self._one(Deposit, self._call("/deposit/status", {"id": id}, read=True), "/deposit/status")

    def cancel_deposit(self, id: str) -> Deposit:
        return self._one(Deposit, self._call("/deposit/cancel", {"id": id}, read=False), "/deposit/cancel")

    # -- transfers ----------------------------------------------------------------------------

    def bank_list(self) -> list[Bank]:
        return self._many(Bank, self._call("/transfer/bank_list", {}, read=True), "/transfer/bank_list")

    def check_account(self, bank_code: str, account_number: str) -> AccountCheck:
        data = self._call("/transfer/cek_rekening", {"bank_code": bank_code, "account_number": account_number},
                          read=True)
        return self._one(AccountCheck, data, "/transfer/cek_rekening")

    def create_transfer(self, ref_id: str, bank_code: str, account_number: str, owner_name: str, amount: int, *,
                        email: str | None = None, phone: str | None = None, note: str | None = None) -> Transfer:
        """Send money to a bank account or e-wallet (sent once). Note the single-f ``ref_id``."""
        data = self._call("/transfer/create", {
            "ref_id": ref_id, "kode_bank": bank_code, "nomor_akun": account_number, "nama_pemilik": owner_name,
            "nominal": amount, "email": email, "phone": phone, "note": note}, read=False)
        return self._one(Transfer, data, "/transfer/create")

    def transfer_status(self, id: str) -> Transfer:
        return self._one(Transfer, self._call("/transfer/status", {"id": id}, read=True), "/transfer/status")

    def close(self) -> None:
        self._http.close()

