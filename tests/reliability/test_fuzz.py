"""R5 fuzz of every HTTP entry point (hypothesis): whatever arrives — bytes that are not UTF-8,
control characters, lone surrogates, NUL, numbers out of range, NaN, pathological nesting,
oversized bodies, odd methods, odd shapes of a callback, real refs with made-up ids — gets no
5xx, and nothing is written."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
from functions_framework import create_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.config import PROJECT_ROOT
from tests.reliability.conftest import size
from tests.world import SIGNATURE, World

TABLES = ("customers", "conversations", "messages", "outbox", "orders", "payments", "ledger", "webhook_events",
          "products", "jobs")
FUZZ = settings(max_examples=size(120, 2000), deadline=None, derandomize=not size(0, 1),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def snapshot(w: World) -> dict[str, str]:
    return {t: w.db.execute(f"select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '')"
                            f" from {t} x").fetchone()[0] for t in TABLES}


def function(name: str) -> Any:
    return create_app(name, str(PROJECT_ROOT / "functions" / name / "main.py")).test_client()


nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\u0000", "\ud800", "\udfff", "\x07\x1b[2J", "'; drop table orders; --", "\u202e", "💸" * 50,
                     "A" * 70, "BJ7KQ2M9XH\u0000", "", " "]),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
                         st.floats(allow_nan=False, allow_infinity=False), nasty_text)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                 st.dictionaries(nasty_text, inner, max_size=4)),
                           max_leaves=12)


@st.composite
def callback_bodies(draw: Any, refs: list[str]) -> bytes:
    ref = draw(st.one_of(st.sampled_from(refs), json_values))
    data = {"id": draw(st.one_of(st.text(alphabet="abcXYZ0189", min_size=1, max_size=24), json_values)),
            "reff_id": ref, "status": draw(st.one_of(st.sampled_from(["success", "failed", "pending"]), json_values)),
            "sn": draw(json_values), "price": draw(json_values)}
    body = {"event": draw(st.one_of(st.sampled_from(["transaksi", "transaksi.pascabayar", "deposit", "transfer"]),
                                    json_values)),
            "status": draw(json_values), "data": draw(st.one_of(st.just(data), json_values))}
    return json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"NaN", b'{"event": NaN}', b'{"a": 1e400}', b'{"a": -Infinity}', b"[" * 20000 + b"]" * 20000,
                     b'{"event":"transaksi","data":' * 3000 + b"1" + b"}" * 3000, b'{"a":"\\u0000"}',
                     b'{"event":"transaksi","data":{"id":"\\ud800","reff_id":"x"}}', b"\xff\xfe{}",
                     b'{"event":"transaksi","data":{"reff_id":"BJ7KQ2M9XH","id":' + b"9" * 5000 + b"}}",
                     b" " * 70_000, b'{"event":"deposit","data":{"reff_id":"' + b"P" * 70_000 + b'"}}']),
)


def test_the_atlantic_webhook_never_answers_5xx_nor_writes_for_bad_input(world: World) -> None:
    world.sandbox.engine.settings.trx_delay = 3600  # Atlantic keeps it pending: no real answer changes anything
    wa = world.customer()
    world.say(wa, "halo")
    world.credit(wa, 100_000)
    order = world.say(wa, "pulsa xl 10rb ke 087812345678").facts["order"]["ref"]
    world.say(wa, "ya")
    deposit = world.say(wa, "depo 50rb").facts["payment"]["ref"]
    refs = [order, deposit, "BJ7KQ2M9XH", "PY0000000000"]
    webhook = function("atlantic_webhook")
    before = snapshot(world)

    @FUZZ
    @given(body=st.one_of(callback_bodies(refs), raw_bodies),
           signed=st.sampled_from([True, True, True, False]),
           method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH"]),
           content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]))
    def check(body: bytes, signed: bool, method: str, content_type: str) -> None:
        headers = {"X-ATL-Signature": SIGNATURE if signed else hashlib.md5(body).hexdigest()}
        if content_type:
            headers["Content-Type"] = content_type
        response = webhook.open("/", method=method, data=body, headers=headers)
        assert response.status_code < 500, (response.status_code, body[:200])
        assert response.status_code in (200, 400, 401, 405, 413)

    check()
    assert snapshot(world) == before


def test_the_reconciler_never_answers_5xx(world: World) -> None:
    reconciler = function("reconciler")

    @settings(max_examples=size(15, 100), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=st.one_of(st.binary(max_size=100), raw_bodies), method=st.sampled_from(["POST", "GET", "PUT"]))
    def check(body: bytes, method: str) -> None:
        response = reconciler.open("/", method=method, data=body)
        assert response.status_code < 500
        if response.status_code == 200:
            assert response.get_json()["ok"] is True

    check()


def test_the_sandbox_api_never_answers_5xx_unless_told_to(world: World) -> None:
    client = httpx.Client(base_url=world.sandbox.url, timeout=10)
    endpoints = ["/get_profile", "/layanan/price_list", "/transaksi/create", "/transaksi/status", "/deposit/create",
                 "/deposit/status", "/deposit/cancel", "/deposit/instant", "/transaksi/tagihan",
                 "/transaksi/tagihan/bayar", "/transfer/create", "/transfer/status", "/sandbox/pay", "/nope"]
    fields = st.dictionaries(st.sampled_from(["api_key", "code", "reff_id", "target", "limit_price", "id", "type",
                                              "nominal", "metode", "phone", "action", "customer_no", "ref_id",
                                              "kode_bank", "nomor_akun", "nama_pemilik"]),
                             st.one_of(st.sampled_from(["sandbox", "X5", "-1", "1e9", "OVO", "true"]), st.text(max_size=20)),
                             max_size=8)

    @settings(max_examples=size(60, 2000), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(endpoint=st.sampled_from(endpoints), form=fields, raw=st.one_of(st.none(), st.binary(max_size=80)))
    def check(endpoint: str, form: dict[str, str], raw: bytes | None) -> None:
        try:
            response = client.post(endpoint, content=raw) if raw is not None else client.post(endpoint, data=form)
        except httpx.HTTPError as exc:  # the server must answer, not drop the connection
            raise AssertionError(f"{endpoint}: {exc}") from exc
        assert response.status_code < 500, (endpoint, form, response.text[:200])

    try:
        check()
    finally:
        client.close()
