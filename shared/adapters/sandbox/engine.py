"""The simulated Atlantic H2H account: balance, catalog, transactions, bills, deposits, transfers.

``SandboxEngine.handle(endpoint, form)`` answers exactly as Atlantic's HTTP API does (status code
and JSON envelope, or an empty body where Atlantic sends one); ``tick()`` moves time-driven state
(settlements, expiries) forward and delivers callbacks. Time comes from an injected clock, so
tests drive it without sleeping. Documented rules (see docs/sandbox.md):

- a prepaid or postpaid transaction is ``pending``, then after ``trx_delay`` seconds ``success``
  with an SN (a 20-digit token for PLN) — or ``failed`` (and refunded) when the target ends in
  ``0000``; ``limit_price`` below the price is refused, and so is a purchase the balance can't pay;
- a bill inquiry for a customer number ending in ``0000`` finds no bill;
- a deposit is ``pending`` until paid — after ``deposit_pay_after`` seconds when set, or by
  :meth:`pay` — then ``success`` (QRIS) or ``processing`` → ``success`` after ``settle_after``
  (e-wallets, VA; ``deposit/instant`` settles at once); unpaid ones expire after ``deposit_ttl``;
- a transfer is ``pending``, then ``success`` after ``trx_delay`` (``failed`` for an account
  number ending in ``0000``);
- a reused ``reff_id`` is refused with a message that carries no id, as Atlantic does;
- :meth:`SandboxEngine.reverse` plays Atlantic reversing a finished transaction (with a callback).

The catalog is the same on every start (a fixed seed); transaction and deposit ids are random, as
Atlantic's are.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable

from shared.adapters.sandbox import catalog
from shared.adapters.sandbox.qris import qris_payload
from shared.adapters.sandbox.records import (
    BANKS, INSTANT_FEE_PERCENT, INVALID, METHODS, NAMES, TRANSFER_FEE, Bill, Dep, Reply, SandboxSettings, Trx, Xfer,
    deposit_fee, fail, ok, target_ok,
)
from shared.domain.supplier import ATLANTIC_TIMEZONE

log = logging.getLogger(__name__)


@dataclass
class SandboxEngine:
    """One Atlantic account, simulated. Thread-safe; time from ``clock``."""

    settings: SandboxSettings = field(default_factory=SandboxSettings)
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self.balance = self.settings.balance
        self.products = {p["code"]: p for p in catalog.prabayar()}
        self.postpaid = {p["code"]: p for p in catalog.pascabayar()}
        self.trx: dict[str, Trx] = {}
        self.trx_refs: set[str] = set()
        self.deposits: dict[str, Dep] = {}
        self.deposit_refs: set[str] = set()
        self.transfers: dict[str, Xfer] = {}
        self.transfer_refs: set[str] = set()
        self.bills: dict[str, Bill] = {}
        self.outbox: list[dict[str, Any]] = []  # callbacks not yet delivered
        self.sent: list[dict[str, Any]] = []    # callbacks delivered (or attempted)

    # -- helpers ------------------------------------------------------------------------------

    def signature(self) -> str:
        return hashlib.md5(self.settings.username.encode()).hexdigest()

    def _id(self) -> str:
        """A 20-character id like Atlantic's: unique across sandbox starts, as real ids are."""
        return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(20))

    def _ts(self, at: float) -> str:
        return datetime.fromtimestamp(at, ATLANTIC_TIMEZONE).strftime("%Y-%m-%d %H:%M:%S")

    def _digits(self, seed: str, n: int) -> str:
        digest = hashlib.sha256(seed.encode()).hexdigest()
        return str(int(digest, 16))[:n].rjust(n, "0")

    def _name_for(self, key: str) -> str:
        return NAMES[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(NAMES)]

    def _queue_callback(self, event: str, data: dict[str, Any]) -> None:
        self.outbox.append({"event": event, "status": data.get("status"), "data": data})

    # -- the HTTP surface ---------------------------------------------------------------------

    def handle(self, endpoint: str, form: dict[str, str]) -> Reply:
        route = ROUTES.get(endpoint.rstrip("/"))
        if route is None:
            return 404, None  # Atlantic answers an unknown path with 404 and an empty body
        if form.get("api_key") != self.settings.api_key:
            return fail(403, "Api Key tidak valid")
        with self._lock:
            self._advance()
            return getattr(self, route)(form)

    # -- account ------------------------------------------------------------------------------

    def get_profile(self, form: dict[str, str]) -> Reply:
        return ok({"name": "Sandbox Seller", "username": self.settings.username,
                   "email": "seller@sandbox.local", "phone": "081200000000",
                   "balance": str(self.balance), "status": "active"}, status="true")

    def price_list(self, form: dict[str, str]) -> Reply:
        kind = form.get("type")
        if kind not in ("prabayar", "pascabayar"):
            return INVALID
        items = list((self.products if kind == "prabayar" else self.postpaid).values())
        if form.get("code"):
            items = [i for i in items if i["code"] == form["code"]]
        return ok(items)

    # -- prepaid ------------------------------------------------------------------------------

    def create_transaction(self, form: dict[str, str]) -> Reply:
        code, reff, target = form.get("code"), form.get("reff_id"), form.get("target")
        if not (code and reff and target):
            return INVALID
        if reff in self.trx_refs:
            return fail(400, "Reff ID sudah ada, gunakan reff_id lain")
        product = self.products.get(code)
        if product is None or product["status"] != "available":
            return fail(503, "Produk tidak valid")
        if not target_ok(product, target):
            return fail(400, "Format target tidak sesuai")
        price = int(product["price"])
        limit = form.get("limit_price")
        if limit:
            if not limit.isdigit():
                return INVALID
            if price > int(limit):
                return fail(400, f"Harga produk saat ini melebihi limit_price ({price})")
        if self.balance < price:
            return fail(403, "Saldo anda tidak cukup!")
        self.balance -= price
        now = self.clock()
        trx = Trx(self._id(), reff, code, product["name"], target, price, "prabayar", now,
                  due=now + self.settings.trx_delay)
        self.trx[trx.id] = trx
        self.trx_refs.add(reff)
        return ok(self._trx_json(trx), message="Transaksi diproses", code=202)

    def transaction_status(self, form: dict[str, str]) -> Reply:
        trx = self.trx.get(form.get("id", ""))
        kind = form.get("type", "prabayar")
        if trx is None or trx.kind != kind:
            return fail(400, "Transaksi tidak ditemukan")
        return ok(self._trx_json(trx))

    def _trx_json(self, trx: Trx) -> dict[str, Any]:
        data = {"id": trx.id, "reff_id": trx.reff_id, "layanan": trx.name, "code": trx.code,
                "target": trx.target, "price": str(trx.price), "sn": trx.sn, "status": trx.status,
                "created_at": self._ts(trx.created)}
        if trx.message:
            data["message"] = trx.message
        return data

    def _finish_trx(self, trx: Trx) -> None:
        if trx.target.endswith("0000"):
            trx.status, trx.message = "failed", "Transaksi gagal, nomor tujuan tidak aktif"
            self.balance += trx.price  # Atlantic refunds a failed transaction to the balance
        else:
            trx.status = "success"
            product = self.products.get(trx.code, {})
            if product.get("category") == "PLN":
                trx.sn = self._digits(f"token:{trx.id}", 20)
            elif trx.kind == "pascabayar":
                trx.sn = f"{self._digits(f'ref:{trx.id}', 16)}"
            else:
                trx.sn = self._digits(f"sn:{trx.id}", 18)
        event = "transaksi.pascabayar" if trx.kind == "pascabayar" else "transaksi"
        self._queue_callback(event, self._trx_json(trx))

    def reverse(self, trx_id: str, status: str) -> dict[str, Any]:
        """Atlantic changes its mind about a finished transaction (``success`` → ``failed`` after
        the operator bounced it, or ``failed`` → ``success``): a sandbox action with no endpoint
        at Atlantic. The balance follows, and a callback is queued."""
        with self._lock:
            trx = self.trx[trx_id]
            if status not in ("success", "failed") or trx.status == status:
                raise ValueError(f"cannot reverse a {trx.status} transaction to {status}")
            if status == "failed":
                self.balance += trx.price
                trx.sn, trx.message = None, "Transaksi dibatalkan oleh operator"
            else:
                self.balance -= trx.price
                trx.sn, trx.message = self._digits(f"sn:{trx.id}:late", 18), None
            trx.status = status
            event = "transaksi.pascabayar" if trx.kind == "pascabayar" else "transaksi"
            self._queue_callback(event, self._trx_json(trx))
            return self._trx_json(trx)

    # -- postpaid -----------------------------------------------------------------------------

    def bill_inquiry(self, form: dict[str, str]) -> Reply:
        code, reff, number = form.get("code"), form.get("reff_id"), form.get("customer_no")
        if not (code and reff and number):
            return INVALID
        product = self.postpaid.get(code)
        if product is None:
            return fail(503, "Produk tidak valid")
        if not number.isdigit() or not 10 <= len(number) <= 16:
            return fail(400, "Format nomor pelanggan tidak sesuai")
        if number.endswith("0000"):
            return fail(400, "Nomor pelanggan tidak ditemukan atau tagihan sudah lunas")
        bill = self.bills.get(reff)
        if bill is None:
            bill = self._make_bill(reff, code, number, int(product["price"]))
            self.bills[reff] = bill
        elif bill.code != code or bill.customer_no != number:
            return fail(400, "Reff ID sudah ada, gunakan reff_id lain")
        return ok(self._bill_json(bill))

    def _make_bill(self, reff: str, code: str, number: str, admin_each: int) -> Bill:
        seed = int(hashlib.sha256(f"{code}:{number}".encode()).hexdigest(), 16)
        sheets = 1 + seed % 2
        base = 50_000 + seed % 400 * 1_000
        periods = [f"2026{10 - i:02d}" for i in range(sheets)][::-1]
        if code == "PPLN":
            rows = [{"periode": p, "nilai_tagihan": str(base + i * 7_000), "admin": str(admin_each),
                     "denda": "0"} for i, p in enumerate(periods)]
            detail = {"tarif": "R1", "daya": "1300", "lembar_tagihan": str(sheets), "detail": rows}
        elif code == "BPJS":
            detail = {"jumlah_peserta": str(1 + seed % 4), "lembar_tagihan": str(sheets),
                      "detail": [{"periode": p} for p in periods]}
        else:
            detail = {"detail": [{"periode": p, "nilai_tagihan": str(base), "admin": str(admin_each)}
                                 for p in periods]}
        amount = sum(base + i * 7_000 for i in range(sheets)) if code == "PPLN" else base * sheets
        return Bill(reff, code, number, self._name_for(number), amount, admin_each * sheets, detail)

    def _bill_json(self, bill: Bill) -> dict[str, Any]:
        return {"reff_id": bill.reff_id, "nomor_pelanggan": bill.customer_no, "nama_pelanggan": bill.name,
                "code": bill.code, "harga": bill.amount, "biaya_admin": bill.admin,
                "total_tagihan": bill.amount + bill.admin, "detail": bill.detail}

    def pay_bill(self, form: dict[str, str]) -> Reply:
        code, reff, number = form.get("code"), form.get("reff_id"), form.get("customer_no")
        if not (code and reff and number):
            return INVALID
        bill = self.bills.get(reff)
        if bill is None or bill.code != code or bill.customer_no != number:
            return fail(400, "Tagihan tidak ditemukan, lakukan cek tagihan dengan reff_id yang sama")
        if bill.paid_trx:
            return fail(400, "Reff ID sudah ada, tagihan sudah dibayar")
        total = bill.amount + bill.admin
        if self.balance < total:
            return fail(403, "Saldo anda tidak cukup!")
        self.balance -= total
        now = self.clock()
        trx = Trx(self._id(), reff, code, self.postpaid[code]["name"], number, total, "pascabayar", now,
                  due=now + self.settings.trx_delay)
        self.trx[trx.id] = trx
        bill.paid_trx = trx.id
        return ok({"reff_id": reff, "nomor_pelanggan": number, "nama_pelanggan": bill.name, "code": code,
                   "harga": str(total), "sn": None, "status": "pending", "created_at": self._ts(now)},
                  message="Transaksi diproses")

    # -- deposits -----------------------------------------------------------------------------

    def deposit_methods(self, form: dict[str, str]) -> Reply:
        rows = [{"metode": m[0], "type": m[1], "name": m[2], "min": str(m[5]), "max": str(m[6]),
                 "fee": str(m[3]), "fee_persen": m[4], "status": "aktif",
                 "img_url": f"https://s3.atlantic-pedia.co.id/metode_{m[0].lower()}.png"} for m in METHODS]
        if form.get("type"):
            rows = [r for r in rows if r["type"] == form["type"]]
        if form.get("metode"):
            rows = [r for r in rows if r["metode"] == form["metode"].upper()]
        return ok(rows)

    def create_deposit(self, form: dict[str, str]) -> Reply:
        reff, nominal, kind, metode = form.get("reff_id"), form.get("nominal"), form.get("type"), form.get("metode")
        if not (reff and nominal and kind and metode) or not nominal.isdigit():
            return INVALID
        method = next((m for m in METHODS if m[0] == metode.upper()), None)
        if method is None or method[1] != ("bank" if kind in ("bank", "va") else kind):
            return fail(403, "Metode deposit tidak valid / non aktif")
        if method[0] == "OVO" and not form.get("phone"):
            return fail(400, "Metode deposit OVO nomor telepon wajib di isi")
        amount = int(nominal)
        if not method[5] <= amount <= method[6]:
            return fail(400, f"Nominal deposit minimal {method[5]} dan maksimal {method[6]}")
        if reff in self.deposit_refs:
            return fail(400, "Reff ID sudah ada, gunakan reff_id lain")
        now = self.clock()
        dep = Dep(self._id(), reff, method, amount, deposit_fee(amount, method[3], method[4]), now,
                  now + self.settings.deposit_ttl, phone=form.get("phone"))
        if self.settings.deposit_pay_after is not None:
            dep.due = now + self.settings.deposit_pay_after
        self.deposits[dep.id] = dep
        self.deposit_refs.add(reff)
        data = {"id": dep.id, "reff_id": reff, "nominal": amount, "tambahan": 0, "fee": dep.fee,
                "get_balance": amount - dep.fee, "status": "pending", "created_at": self._ts(now),
                "expired_at": self._ts(dep.expires)}
        if method[0].startswith("QRIS"):
            data["qr_string"] = qris_payload(amount, dep.id)
            data["qr_image"] = f"https://atlantich2h.com/qr/{dep.id}"
        elif method[1] == "ewallet":
            data["url"] = f"https://sandbox.atlantich2h.com/pay/{method[0].lower()}/{dep.id}"
        else:
            data.update(bank=method[0], tujuan=f"8808{self._digits(dep.id, 12)}", atas_nama="ATLANTIC PEDIA")
        return ok(data, message=None)

    def _deposit_json(self, dep: Dep) -> dict[str, Any]:
        return {"id": dep.id, "reff_id": dep.reff_id, "nominal": str(dep.amount), "tambahan": "0",
                "fee": str(dep.fee), "get_balance": str(dep.amount - dep.fee), "metode": dep.method[7],
                "status": dep.status, "created_at": self._ts(dep.created)}

    def deposit_status(self, form: dict[str, str]) -> Reply:
        if "id" not in form:
            return INVALID  # Atlantic refuses a reff_id here
        dep = self.deposits.get(form["id"])
        if dep is None:
            return fail(400, "Deposit tidak ditemukan")
        return ok(self._deposit_json(dep))

    def cancel_deposit(self, form: dict[str, str]) -> Reply:
        dep = self.deposits.get(form.get("id", ""))
        if dep is None:
            return fail(400, "Deposit tidak ditemukan")
        if dep.status not in ("pending", "cancel"):
            return fail(400, f"Deposit tidak dapat dibatalkan, status {dep.status}")
        if dep.status == "pending":
            dep.status, dep.due = "cancel", None
            self._queue_callback("deposit", self._deposit_json(dep))
        return ok({"id": dep.id, "status": dep.status, "created_at": self._ts(dep.created)})

    def instant_deposit(self, form: dict[str, str]) -> Reply:
        action = form.get("action")
        if "id" not in form or action not in ("true", "false"):
            return INVALID
        dep = self.deposits.get(form["id"])
        if dep is None:
            return fail(400, "Deposit tidak ditemukan")
        if dep.status != "processing":
            return fail(400, f"Deposit tidak dalam status processing ({dep.status})")
        handling = int((Decimal(dep.amount) * INSTANT_FEE_PERCENT / 100).quantize(Decimal(1), ROUND_HALF_UP))
        credited = dep.amount - dep.fee - handling
        data = {"id": dep.id, "reff_id": dep.reff_id, "nominal": dep.amount, "penanganan": handling,
                "total_fee": dep.fee + handling, "total_diterima": credited, "status": "processing",
                "created_at": self._ts(dep.created)}
        if action == "true":
            self._settle(dep, credited)
            data["status"] = dep.status
        return ok(data)

    def pay(self, deposit_id: str) -> dict[str, Any]:
        """The payer pays (a sandbox action Atlantic has no endpoint for). Returns the status."""
        with self._lock:
            self._advance()
            dep = self.deposits[deposit_id]
            if dep.status == "pending":
                self._paid(dep)
            return self._deposit_json(dep)

    def _paid(self, dep: Dep) -> None:
        if dep.method[0].startswith("QRIS"):
            self._settle(dep, dep.amount - dep.fee)
        else:
            dep.status, dep.due = "processing", self.clock() + self.settings.settle_after
            self._queue_callback("deposit", self._deposit_json(dep))

    def _settle(self, dep: Dep, credited: int) -> None:
        dep.status, dep.due = "success", None
        self.balance += credited
        self._queue_callback("deposit", self._deposit_json(dep))

    # -- transfers ----------------------------------------------------------------------------

    def bank_list(self, form: dict[str, str]) -> Reply:
        return ok([{"id": i, "bank_code": c, "bank_name": n, "type": t} for i, c, n, t in BANKS], status="true")

    def check_account(self, form: dict[str, str]) -> Reply:
        bank, number = form.get("bank_code"), form.get("account_number")
        if not (bank and number):
            return INVALID
        if bank not in {b[1] for b in BANKS}:
            return fail(400, "Kode bank tidak valid")
        if not number.isdigit() or not 8 <= len(number) <= 16:
            return fail(400, "Nomor rekening tidak valid")
        return ok({"kode_bank": bank, "nomor_akun": number, "nama_pemilik": self._name_for(bank + number),
                   "status": "valid"})

    def create_transfer(self, form: dict[str, str]) -> Reply:
        ref, bank, number = form.get("ref_id"), form.get("kode_bank"), form.get("nomor_akun")
        name, nominal = form.get("nama_pemilik"), form.get("nominal")
        if not (ref and bank and number and name and nominal) or not nominal.isdigit():
            return INVALID
        if bank not in {b[1] for b in BANKS}:
            return fail(400, "Kode bank tidak valid")
        if ref in self.transfer_refs:
            return fail(400, "Reff ID sudah ada, gunakan ref_id lain")
        amount = int(nominal)
        if amount < 10_000:
            return fail(400, "Nominal transfer minimal 10000")
        if self.balance < amount + TRANSFER_FEE:
            return fail(403, "Saldo anda tidak cukup!")
        self.balance -= amount + TRANSFER_FEE
        now = self.clock()
        detail = {"email": form.get("email", ""), "phone": form.get("phone", ""), "note": form.get("note", "")}
        xfer = Xfer(self._id(), ref, bank, number, name, amount, detail, now, due=now + self.settings.trx_delay)
        self.transfers[xfer.id] = xfer
        self.transfer_refs.add(ref)
        data = self._transfer_json(xfer)
        data.update(fee=TRANSFER_FEE, total=amount + TRANSFER_FEE)
        data.pop("bank_code")
        return ok(data, message="Data berhasil diproses")

    def _transfer_json(self, x: Xfer) -> dict[str, Any]:
        return {"id": x.id, "reff_id": x.reff_id, "nama": x.name, "nomor_tujuan": x.account,
                "bank_code": x.bank_code, "nominal": str(x.amount), "fee": str(TRANSFER_FEE),
                "total": x.amount + TRANSFER_FEE, "status": x.status, "detail": x.detail,
                "created_at": self._ts(x.created)}

    def transfer_status(self, form: dict[str, str]) -> Reply:
        key = form.get("id", "")
        xfer = self.transfers.get(key) or next((x for x in self.transfers.values() if x.reff_id == key), None)
        if xfer is None:
            return fail(400, "Transfer tidak ditemukan")
        return ok(self._transfer_json(xfer))

    # -- time ---------------------------------------------------------------------------------

    def _advance(self) -> None:
        """Apply every state change that is due by now (called under the lock)."""
        now = self.clock()
        for trx in self.trx.values():
            if trx.status == "pending" and trx.due <= now:
                self._finish_trx(trx)
        for dep in self.deposits.values():
            if dep.status == "pending" and dep.due is not None and dep.due <= now:
                self._paid(dep)
            elif dep.status == "pending" and dep.expires <= now:
                dep.status, dep.due = "expired", None
                self._queue_callback("deposit", self._deposit_json(dep))
            elif dep.status == "processing" and dep.due is not None and dep.due <= now:
                self._settle(dep, dep.amount - dep.fee)
        for x in self.transfers.values():
            if x.status == "pending" and x.due <= now:
                if x.account.endswith("0000"):
                    x.status = "failed"
                    self.balance += x.amount + TRANSFER_FEE
                else:
                    x.status = "success"
                data = self._transfer_json(x)
                data.pop("bank_code")
                self._queue_callback("transfer", data)

    def tick(self, deliver: Callable[[str, dict[str, str], dict[str, Any]], int] | None = None) -> list[dict[str, Any]]:
        """Advance time-driven state and deliver queued callbacks with ``deliver(url, headers, body)``.

        Returns the callbacks taken from the queue. Without a callback URL they are only recorded.
        """
        with self._lock:
            self._advance()
            due, self.outbox = self.outbox, []
        for body in due:
            headers = {"Content-Type": "application/json", "X-ATL-Signature": self.signature()}
            status = None
            if self.settings.callback_url and deliver is not None:
                try:
                    status = deliver(self.settings.callback_url, headers, body)
                except Exception as exc:  # a callback receiver that is down must not stop the sandbox
                    log.warning("sandbox callback to %s failed: %s", self.settings.callback_url, exc)
            self.sent.append({"url": self.settings.callback_url, "headers": headers, "body": body,
                              "http_status": status})
        return due


ROUTES: dict[str, str] = {  # endpoint → method name
    "/get_profile": "get_profile",
    "/layanan/price_list": "price_list",
    "/transaksi/create": "create_transaction",
    "/transaksi/status": "transaction_status",
    "/transaksi/tagihan": "bill_inquiry",
    "/transaksi/tagihan/bayar": "pay_bill",
    "/deposit/metode": "deposit_methods",
    "/deposit/create": "create_deposit",
    "/deposit/status": "deposit_status",
    "/deposit/cancel": "cancel_deposit",
    "/deposit/instant": "instant_deposit",
    "/transfer/bank_list": "bank_list",
    "/transfer/cek_rekening": "check_account",
    "/transfer/create": "create_transfer",
    "/transfer/status": "transfer_status",
}
