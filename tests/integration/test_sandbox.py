"""The Atlantic sandbox over HTTP, through the real client: every endpoint, the documented rules,
callbacks, and reply shapes checked against the recorded Atlantic replies (not against the client)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from shared import errors
from shared.adapters.atlantic import AtlanticClient
from shared.adapters.sandbox import Sandbox, SandboxEngine, SandboxSettings
from shared.adapters.sandbox import catalog as sandbox_catalog
from shared.config import PROJECT_ROOT
from tests.fakes.http import JsonStandIn

REPLIES = json.loads((Path(__file__).parents[1] / "data" / "atlantic_replies.json").read_text())


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_000_000.0

    def __call__(self) -> float:
        return self.now


class CallbackReceiver(JsonStandIn):
    """Where the sandbox POSTs its callbacks."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[tuple[dict[str, str], Any]] = []

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        self.received.append((headers, json.loads(raw)))
        return 200, {"ok": True}


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as r:
        yield r


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock, receiver: CallbackReceiver) -> Iterator[Sandbox]:
    engine = SandboxEngine(SandboxSettings(username="tokobudi", trx_delay=5, settle_after=10, deposit_ttl=3600,
                                           callback_url=receiver.url + "/webhook/atlantic"), clock=clock)
    with Sandbox(engine=engine, tick_seconds=3600) as s:  # ticks are driven by the tests
        yield s


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[AtlanticClient]:
    c = AtlanticClient(sandbox.url, "sandbox", backoff=0)
    yield c
    c.close()


def raw_post(sandbox: Sandbox, endpoint: str, **form: Any) -> httpx.Response:
    return httpx.post(sandbox.url + endpoint, data={"api_key": "sandbox", **form})


# -- shapes ----------------------------------------------------------------------------------

def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def assert_same_shape(recorded: Any, actual: Any, path: str = "") -> None:
    """Every field Atlantic sends is there, with the JSON type Atlantic uses (null matches anything
    nullable: a recorded null and a sandbox string, e.g. ``sn``, are both allowed)."""
    if isinstance(recorded, dict):
        assert isinstance(actual, dict), path
        for key, sub in recorded.items():
            if key in ("settlement_balance", "message"):  # seen once (L); optional on success
                continue
            assert key in actual, f"{path}.{key} missing"
            assert_same_shape(sub, actual[key], f"{path}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(actual, list) and actual, path
        assert_same_shape(recorded[0], actual[0], path + "[0]")
    elif recorded != "NoneType" and actual != "NoneType":
        assert recorded == actual, f"{path}: Atlantic sends {recorded}, the sandbox {actual}"


@pytest.mark.parametrize("recorded, endpoint, form", [
    ("profile_ok", "/get_profile", {}),
    ("price_list_prabayar", "/layanan/price_list", {"type": "prabayar"}),
    ("create_202", "/transaksi/create", {"code": "S10", "reff_id": "SHAPE-1", "target": "081234567890"}),
    ("deposit_metode", "/deposit/metode", {}),
    ("deposit_create_qris", "/deposit/create", {"reff_id": "SHAPE-2", "nominal": "2265", "type": "ewallet", "metode": "QRIS"}),
    ("deposit_create_shopeepay", "/deposit/create", {"reff_id": "SHAPE-3", "nominal": "25514", "type": "ewallet", "metode": "SHOPEEPAY"}),
    ("tagihan_pln", "/transaksi/tagihan", {"code": "PPLN", "reff_id": "SHAPE-4", "customer_no": "532110000123"}),
    ("bank_list", "/transfer/bank_list", {}),
    ("cek_rekening", "/transfer/cek_rekening", {"bank_code": "bca", "account_number": "1234567890"}),
    ("transfer_create", "/transfer/create", {"ref_id": "SHAPE-5", "kode_bank": "bca", "nomor_akun": "1234567890",
                                             "nama_pemilik": "SITI", "nominal": "50000"}),
    ("create_bad_target", "/transaksi/create", {"code": "S10", "reff_id": "SHAPE-6", "target": "12"}),
    ("create_invalid_body", "/transaksi/create", {"code": "S10"}),
    ("create_produk", "/transaksi/create", {"code": "NOPE", "reff_id": "SHAPE-7", "target": "081234567890"}),
    ("deposit_ovo_phone", "/deposit/create", {"reff_id": "SHAPE-8", "nominal": "10000", "type": "ewallet", "metode": "OVO"}),
    ("deposit_metode_invalid", "/deposit/create", {"reff_id": "SHAPE-9", "nominal": "10000", "type": "ewallet", "metode": "BITCOIN"}),
    ("deposit_status_by_reff", "/deposit/status", {"reff_id": "SHAPE-2"}),
])
def test_sandbox_replies_have_atlantics_shape(sandbox: Sandbox, recorded: str, endpoint: str, form: dict) -> None:
    reply = REPLIES[recorded]
    response = raw_post(sandbox, endpoint, **form)
    assert response.status_code == reply["http_status"]
    assert_same_shape(shape(reply["body"]), shape(response.json()))
    if not reply["body"]["status"]:
        assert response.json()["message"] == reply["body"]["message"]


def test_unknown_path_is_404_with_an_empty_body(sandbox: Sandbox) -> None:
    response = raw_post(sandbox, "/deposit/methods")
    assert response.status_code == REPLIES["unknown_path_404"]["http_status"] and response.content == b""


def test_a_wrong_api_key_is_refused(sandbox: Sandbox) -> None:
    with pytest.raises(errors.InvalidRequest):
        AtlanticClient(sandbox.url, "wrong", backoff=0, read_retries=0).profile()


# -- catalog ---------------------------------------------------------------------------------

def test_catalog_is_complete_realistic_and_the_same_on_every_start(client: AtlanticClient) -> None:
    items = client.price_list("prabayar")
    again = SandboxEngine().handle("/layanan/price_list", {"api_key": "sandbox", "type": "prabayar"})[1]["data"]
    assert [(i.code, i.price) for i in items] == [(i["code"], int(i["price"])) for i in again]

    by_code = {i.code: i for i in items}
    for provider, prefix, _ in sandbox_catalog.OPERATORS:
        for face in (5, 10, 15, 20, 25, 50, 100):
            assert f"{prefix}{face}" in by_code
        data = [i for i in items if i.provider == provider and i.category == "Data Internet"]
        assert len(data) >= 6
        assert all(re.search(r"\d+(\.\d+)? (GB|MB)", i.name) and re.search(r"\d+ Hari", i.name) for i in data)
    # cost ranges of the reference
    for code, (low, high) in {"S5": (5_500, 7_000), "X10": (10_500, 12_500), "I50": (49_000, 52_000),
                              "T100": (97_000, 102_000)}.items():
        assert low <= by_code[code].price <= high, code
    assert {f"PLN{n}" for n in (20, 50, 100, 200, 500, 1000)} <= set(by_code)
    for code in ("PLN20", "PLN100"):
        face = int(code[3:]) * 1000
        assert face + 500 <= by_code[code].price <= face + 2_500
    for prefix in ("DANA", "OVO", "GOPAY", "SHP", "LA"):
        assert {f"{prefix}{n}" for n in (10, 50, 100, 200)} <= set(by_code)
        face = 10_000
        assert face <= by_code[f"{prefix}10"].price <= face + 2_000
    assert {"MOBILE LEGENDS", "FREE FIRE"} <= {i.provider for i in items}
    assert sum(not i.available for i in items) >= 3
    postpaid = {i.code: i for i in client.price_list("pascabayar")}
    assert {"PPLN", "BPJS"} <= set(postpaid)


# -- prepaid ---------------------------------------------------------------------------------

def test_transaction_pending_then_success_with_sn_and_a_matching_callback(
        client: AtlanticClient, sandbox: Sandbox, clock: Clock, receiver: CallbackReceiver) -> None:
    balance = client.profile().balance
    created = client.create_transaction("S10", "INV-S-1", "081234567890", limit_price=20_000)
    assert created.status == "pending" and created.sn is None
    assert client.profile().balance == balance - created.price

    clock.now += 6
    sandbox.tick()
    done = client.transaction_status(created.id)

    assert done.status == "success" and done.sn and len(done.sn) >= 12
    headers, body = receiver.received[-1]
    assert headers["x-atl-signature"] == hashlib.md5(b"tokobudi").hexdigest()
    assert body["event"] == "transaksi" and body["status"] == "success"
    assert body["data"] == raw_post(sandbox, "/transaksi/status", id=created.id, type="prabayar").json()["data"]


def test_pln_token_is_twenty_digits(client: AtlanticClient, sandbox: Sandbox, clock: Clock) -> None:
    created = client.create_transaction("PLN20", "INV-PLN-1", "53211000012")
    clock.now += 6
    sandbox.tick()
    assert re.fullmatch(r"\d{20}", client.transaction_status(created.id).sn or "")


def test_target_ending_0000_fails_and_is_refunded(client: AtlanticClient, sandbox: Sandbox, clock: Clock,
                                                  receiver: CallbackReceiver) -> None:
    balance = client.profile().balance
    created = client.create_transaction("X25", "INV-F-1", "081900000000")
    clock.now += 6
    sandbox.tick()
    failed = client.transaction_status(created.id)
    assert failed.status == "failed" and failed.sn is None and failed.message
    assert client.profile().balance == balance
    assert receiver.received[-1][1]["status"] == "failed"


def test_duplicate_reff_id_is_refused_without_an_id(client: AtlanticClient) -> None:
    client.create_transaction("S5", "INV-D-1", "081234567890")
    with pytest.raises(errors.DuplicateReference) as raised:
        client.create_transaction("S5", "INV-D-1", "081234567890")
    assert not re.search(r"[A-Za-z0-9]{20}", raised.value.message)  # no transaction id to poll with


def test_limit_price_target_format_empty_product_and_dry_balance(sandbox: Sandbox, clock: Clock) -> None:
    poor = Sandbox(SandboxSettings(balance=15_000), tick_seconds=3600).start()
    try:
        client = AtlanticClient(poor.url, "sandbox", backoff=0)
        with pytest.raises(errors.PriceAboveLimit):
            client.create_transaction("S10", "L-1", "081234567890", limit_price=10_000)
        with pytest.raises(errors.InvalidTarget):
            client.create_transaction("ML86", "L-2", "12345678")  # no zone id
        with pytest.raises(errors.SupplierProductUnavailable):
            client.create_transaction("S15", "L-3", "081234567890")  # empty in the catalog
        client.create_transaction("S10", "L-4", "081234567890")
        with pytest.raises(errors.SupplierBalanceInsufficient):
            client.create_transaction("S10", "L-5", "081234567890")
    finally:
        poor.stop()


# -- postpaid --------------------------------------------------------------------------------

def test_bill_inquiry_then_payment_then_success(client: AtlanticClient, sandbox: Sandbox, clock: Clock,
                                                receiver: CallbackReceiver) -> None:
    bill = client.bill_inquiry("PPLN", "BILL-S-1", "532110000123")
    assert bill.customer_name and bill.amount and bill.admin_fee == 2_750
    assert bill.total == bill.amount + bill.admin_fee
    paid = client.pay_bill("PPLN", "BILL-S-1", "532110000123")
    assert paid.status == "pending" and paid.id is None and paid.amount == bill.total

    clock.now += 6
    sandbox.tick()
    headers, body = receiver.received[-1]
    assert body["event"] == "transaksi.pascabayar" and body["data"]["reff_id"] == "BILL-S-1"
    status = client.transaction_status(body["data"]["id"], "pascabayar")
    assert status.status == "success" and status.sn
    with pytest.raises(errors.InvalidTarget):
        client.bill_inquiry("BPJS", "BILL-S-2", "8888801230000")
    with pytest.raises(errors.InvalidRequest):
        client.pay_bill("PPLN", "BILL-S-3", "532110000123")  # no inquiry with that reff_id


# -- deposits --------------------------------------------------------------------------------

def test_qris_deposit_pending_then_success_with_the_right_fee(client: AtlanticClient, sandbox: Sandbox,
                                                               receiver: CallbackReceiver) -> None:
    balance = client.profile().balance
    dep = client.create_deposit("DEP-S-1", 10_000, "qris")
    assert (dep.fee, dep.net, dep.status) == (270, 9_730, "pending")  # 200 + 0.7% of 10.000
    assert dep.qr_string and dep.qr_string.startswith("000201") and dep.expires_at

    sandbox.pay(dep.id)
    sandbox.tick()
    settled = client.deposit_status(dep.id)

    assert settled.status == "success" and settled.net == 9_730 and settled.method == "QRIS"
    assert client.profile().balance == balance + 9_730
    headers, body = receiver.received[-1]
    assert body["event"] == "deposit" and body["data"] == raw_post(sandbox, "/deposit/status", id=dep.id).json()["data"]
    assert headers["x-atl-signature"] == hashlib.md5(b"tokobudi").hexdigest()


def test_deposit_methods_carry_the_fee_table(client: AtlanticClient) -> None:
    methods = {m.code: m for m in client.deposit_methods()}
    assert {"QRIS", "QRISFAST", "DANA", "OVO", "SHOPEEPAY", "LINKAJA", "BCA", "BRI"} <= set(methods)
    assert (methods["QRIS"].fee, str(methods["QRIS"].fee_percent), methods["QRIS"].active) == (200, "0.7", True)
    assert [m.code for m in client.deposit_methods(type="bank")] == ["BCA", "BRI"]
    assert [m.code for m in client.deposit_methods(method="qris")] == ["QRIS"]


def test_real_fee_examples(client: AtlanticClient) -> None:
    assert client.create_deposit("DEP-F-1", 2_265, "QRIS").fee == 216
    assert client.create_deposit("DEP-F-2", 25_514, "SHOPEEPAY").fee == 536


def test_ewallet_deposit_processing_then_instant_settlement(client: AtlanticClient, sandbox: Sandbox) -> None:
    dep = client.create_deposit("DEP-S-2", 100_000, "DANA")
    assert dep.url and dep.qr_string is None
    sandbox.pay(dep.id)
    assert client.deposit_status(dep.id).status == "processing"
    # deposit/instant: no service of ours calls it, but the stand-in answers it as Atlantic does
    quote = raw_post(sandbox, "/deposit/instant", id=dep.id, action="false").json()["data"]
    assert quote["penanganan"] == 500 and client.deposit_status(dep.id).status == "processing"
    done = raw_post(sandbox, "/deposit/instant", id=dep.id, action="true").json()["data"]
    assert done["status"] == "success" and client.deposit_status(dep.id).status == "success"


def test_unpaid_deposit_expires_and_a_pending_one_can_be_cancelled(client: AtlanticClient, sandbox: Sandbox,
                                                                   clock: Clock) -> None:
    stale = client.create_deposit("DEP-S-3", 50_000, "QRIS")
    cancel = client.create_deposit("DEP-S-4", 50_000, "QRIS")
    assert client.cancel_deposit(cancel.id).status == "cancel"
    clock.now += 3601
    assert client.deposit_status(stale.id).status == "expired"
    with pytest.raises(errors.SupplierError):
        client.cancel_deposit(stale.id)


def test_auto_pay_after_a_delay(clock: Clock) -> None:
    engine = SandboxEngine(SandboxSettings(deposit_pay_after=30), clock=clock)
    with Sandbox(engine=engine, tick_seconds=3600) as sandbox:
        client = AtlanticClient(sandbox.url, "sandbox", backoff=0)
        dep = client.create_deposit("DEP-A-1", 20_000, "QRIS")
        clock.now += 31
        assert client.deposit_status(dep.id).status == "success"


# -- transfers -------------------------------------------------------------------------------

def test_transfer_create_status_and_callback(client: AtlanticClient, sandbox: Sandbox, clock: Clock,
                                             receiver: CallbackReceiver) -> None:
    assert any(b.code == "bca" for b in client.bank_list())
    check = client.check_account("bca", "1234567890")
    assert check.valid and check.owner
    with pytest.raises(errors.InvalidTarget):
        client.check_account("bca", "12")
    xfer = client.create_transfer("WD-S-1", "bca", "1234567890", check.owner, 50_000)
    assert (xfer.fee, xfer.total, xfer.status) == (2_000, 52_000, "pending")
    clock.now += 6
    sandbox.tick()
    assert client.transfer_status(xfer.id).status == "success"
    assert client.transfer_status("WD-S-1").id == xfer.id  # by reff id too
    assert receiver.received[-1][1]["event"] == "transfer"


# -- standalone ------------------------------------------------------------------------------

def test_python_m_shared_sandbox_serves_on_a_port(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "shared", "sandbox", "--port", str(port), "--json"],
                            cwd=tmp_path, env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["url"] == f"http://127.0.0.1:{port}"
        profile = AtlanticClient(info["url"], info["api_key"]).profile()
        assert profile.username == info["username"] == "sandbox"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
