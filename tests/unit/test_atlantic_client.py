"""The Atlantic client against recorded replies, written from the reference exactly as Atlantic
sends them (tests/data/atlantic_replies.json): one test per tolerance rule and per known error."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from shared import errors
from shared.adapters.atlantic import AtlanticClient, classify

REPLIES = json.loads((Path(__file__).parents[1] / "data" / "atlantic_replies.json").read_text())


def replay(*names: str, seen: list | None = None) -> AtlanticClient:
    """A client whose HTTP answers are the named recorded replies, in order."""
    queue = [REPLIES[n] for n in names]

    def handler(request: httpx.Request) -> httpx.Response:
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if seen is not None:
            seen.append((request.url.path, dict(parse_qsl(request.content.decode()))))
        assert request.url.path == reply["endpoint"]
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        content = reply["raw"].encode() if "raw" in reply else json.dumps(reply["body"]).encode()
        return httpx.Response(reply["http_status"], content=content, headers={"Content-Type": reply["content_type"]})

    return AtlanticClient("https://atlantich2h.com", "key-123", transport=httpx.MockTransport(handler), backoff=0)


def test_every_request_is_a_form_post_with_the_api_key() -> None:
    seen: list = []
    replay("create_202", seen=seen).create_transaction("ML3", "INV20251101-0042", "123456789|1234", limit_price=1100)
    assert seen == [("/transaksi/create", {"api_key": "key-123", "code": "ML3", "reff_id": "INV20251101-0042",
                                            "target": "123456789|1234", "limit_price": "1100"})]


def test_status_as_the_string_true_and_money_as_string() -> None:
    profile = replay("profile_ok").profile()
    assert profile.balance == 1_250_000 and profile.username == "budicell" and profile.status == "active"


def test_price_list_money_as_string_or_int_casing_and_malformed_rows() -> None:
    items = replay("price_list_prabayar").price_list("prabayar")
    assert [(i.code, i.price, i.available) for i in items] == [
        ("DIY1", 8075, True), ("ML3", 1004, False), ("GI60", 15500, True)]  # the row without a price is skipped


def test_price_list_filters_by_code_itself() -> None:
    items = replay("price_list_prabayar").price_list("prabayar", code="ML3")
    assert [i.code for i in items] == ["ML3"]


@pytest.mark.parametrize("name", ["create_202", "create_200"])
def test_create_accepts_200_and_202(name: str) -> None:
    trx = replay(name).create_transaction("X", "R", "T")
    assert trx.id and trx.status == "pending" and trx.sn is None and not trx.final
    assert isinstance(trx.price, int)


def test_status_money_as_int_and_padded_sn() -> None:
    trx = replay("status_success").transaction_status("Xy7Qa21bCdE9fGh0JkLm")
    assert trx.status == "success" and trx.final and trx.sn == "RB2511011000123" and trx.price == 1004
    assert trx.product_name == "MOBILELEGEND - 3 Diamond"


def test_unknown_status_is_in_flight_never_success() -> None:
    trx = replay("status_unknown").transaction_status("Xy7Qa21bCdE9fGh0JkLm")
    assert trx.status == "processing" and not trx.final and trx.sn is None


def test_failed_status_carries_the_reason() -> None:
    trx = replay("status_failed").transaction_status("Xy7Qa21bCdE9fGh0JkLm")
    assert trx.status == "failed" and trx.final and trx.message == "Nomor tujuan salah"


@pytest.mark.parametrize("name, error", [
    ("create_bad_target", errors.InvalidTarget),
    ("create_invalid_body", errors.InvalidRequest),
    ("create_saldo", errors.SupplierBalanceInsufficient),
    ("create_produk", errors.SupplierProductUnavailable),
    ("create_gagal_201", errors.SupplierError),
    ("create_duplicate", errors.DuplicateReference),
    ("create_duplicate_en", errors.DuplicateReference),
    ("deposit_ovo_phone", errors.InvalidRequest),
    ("deposit_metode_invalid", errors.InvalidRequest),
])
def test_known_messages_become_typed_errors(name: str, error: type) -> None:
    reply = REPLIES[name]
    client = replay(name)
    with pytest.raises(error) as raised:
        if reply["endpoint"] == "/deposit/create":
            client.create_deposit("DEP-1", 10_000, "OVO")
        else:
            client.create_transaction("ML3", "INV-1", "123")
    assert type(raised.value) is error
    assert raised.value.message == reply["body"]["message"]
    assert raised.value.http_status == reply["http_status"]
    assert not raised.value.retryable or error is errors.SupplierBalanceInsufficient


def test_product_invalid_with_503_is_not_mistaken_for_an_outage() -> None:
    with pytest.raises(errors.SupplierProductUnavailable) as raised:
        replay("create_produk").create_transaction("NOPE", "R", "081234567890")
    assert not isinstance(raised.value, errors.SupplierUnavailable)


def test_unknown_path_404_with_empty_body_is_our_bug_not_an_outage() -> None:
    client = replay("unknown_path_404")
    with pytest.raises(errors.InvalidRequest):
        client._call("/deposit/methods", {}, read=True)


@pytest.mark.parametrize("name, call", [
    ("cloudflare_520", lambda c: c.price_list()),
    ("html_200", lambda c: c.profile()),
])
def test_html_pages_are_transient_and_reads_retry(name: str, call) -> None:  # type: ignore[no-untyped-def]
    seen: list = []
    with pytest.raises(errors.SupplierUnavailable):
        call(replay(name, seen=seen))
    assert len(seen) == 3  # one try + two retries


def test_a_read_recovers_after_a_transient_failure() -> None:
    seen: list = []
    profile = replay("html_200", "profile_ok", seen=seen).profile()
    assert profile.username == "budicell" and len(seen) == 2


def test_creates_are_never_retried_blindly() -> None:
    seen: list = []
    with pytest.raises(errors.SupplierUnavailable) as raised:
        replay("deposit_create_500_empty", seen=seen).create_deposit("DEP-9", 10_000, "QRIS")
    assert len(seen) == 1 and raised.value.retryable


def test_timeouts_and_network_errors_are_provider_unavailable() -> None:
    calls = []

    def slow(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ReadTimeout("read timed out", request=request)

    client = AtlanticClient("https://atlantich2h.com", "k", transport=httpx.MockTransport(slow), backoff=0)
    with pytest.raises(errors.SupplierUnavailable):
        client.transaction_status("X")
    with pytest.raises(errors.SupplierUnavailable):
        client.create_transaction("S10", "R-1", "081234567890")
    assert calls == ["/transaksi/status"] * 3 + ["/transaksi/create"]


def test_bill_inquiry_and_payment() -> None:
    bill = replay("tagihan_pln").bill_inquiry("PPLN", "BILL-001", "532110000123")
    assert (bill.customer_name, bill.amount, bill.admin_fee, bill.total) == ("BUDI SANTOSO", 150_000, 2_750, 152_000)
    assert bill.detail["detail"][0]["periode"] == "202403"
    paid = replay("tagihan_bayar").pay_bill("PPLN", "BILL-001", "532110000123")
    assert paid.id is None and paid.amount == 152_750 and paid.status == "pending"


def test_deposit_methods_fee_parts_and_activity() -> None:
    qris, ovo = replay("deposit_metode").deposit_methods()
    assert (qris.code, qris.fee, qris.fee_percent, qris.min, qris.active) == ("QRIS", 200, Decimal("0.7"), 500, True)
    assert not ovo.active


def test_deposit_create_qris_ints_and_ewallet_link() -> None:
    dep = replay("deposit_create_qris").create_deposit("DEP-0001", 2265, "qris")
    assert (dep.amount, dep.fee, dep.net, dep.extra) == (2265, 216, 2049, 0)
    assert dep.qr_string.startswith("000201") and dep.expires_at and dep.expires_at.utcoffset().total_seconds() == 7 * 3600
    link = replay("deposit_create_shopeepay").create_deposit("DEP-0002", 25514, "SHOPEEPAY")
    assert link.url and link.qr_string is None and link.fee == 536


def test_deposit_status_strings_and_cancel() -> None:
    dep = replay("deposit_status").deposit_status("Qr9Zx8Yw7Vu6Ts5Rq4Po")
    assert (dep.amount, dep.net, dep.method, dep.status, dep.final) == (2265, 2049, "E-Wallet DANA", "success", True)
    with pytest.raises(errors.InvalidRequest):
        replay("deposit_status_by_reff").deposit_status("DEP-0001")
    assert replay("deposit_cancel").cancel_deposit("Qr9Zx8Yw7Vu6Ts5Rq4Po").status == "cancel"


def test_transfers() -> None:
    banks = replay("bank_list").bank_list()
    assert [(b.code, b.type) for b in banks] == [("mandiri", "bank"), ("dana", "ewallet")]
    check = replay("cek_rekening").check_account("bca", "1234567890")
    assert check.valid and check.owner == "SITI RAHAYU"
    seen: list = []
    created = replay("transfer_create", seen=seen).create_transfer("WD-0001", "bca", "1234567890", "SITI RAHAYU", 50_000,
                                                                    note="tarik saldo")
    assert seen[0][1]["ref_id"] == "WD-0001" and "reff_id" not in seen[0][1]  # single f, as Atlantic wants
    assert (created.amount, created.fee, created.total, created.status) == (50_000, 2_000, 52_000, "pending")
    status = replay("transfer_status").transfer_status("Tf1Tf2Tf3Tf4Tf5Tf6Tf")
    assert status.fee == 2_000 and status.status == "success" and status.bank_code == "bca"


@pytest.mark.parametrize("message, status, error", [
    ("Saldo anda tidak cukup!", 403, errors.SupplierBalanceInsufficient),
    ("Produk sedang gangguan", 400, errors.SupplierProductUnavailable),
    ("Harga melebihi limit_price", 400, errors.PriceAboveLimit),
    ("Nomor pelanggan tidak ditemukan", 400, errors.InvalidTarget),
    ("Service temporarily unavailable", 503, errors.SupplierUnavailable),
    ("Transaksi Gagal", 201, errors.SupplierError),
])
def test_classify(message: str, status: int, error: type) -> None:
    assert type(classify(message, status)) is error
