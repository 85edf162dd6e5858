"""The conversation engine end to end: real pipeline, real Postgres and Redis, the real
google-genai SDK against the scripted Gemini stand-in (or no model at all)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Iterator

import psycopg
import pytest
import redis

from shared.adapters.catalog_store import SqlCatalog
from shared.adapters.gemini import GeminiModel
from shared.adapters.orders_store import SqlOrders
from shared.adapters.postgres import PostgresRpc
from shared.adapters.redis_kv import RedisKV
from shared.adapters.sandbox import Sandbox, SandboxSettings
from shared.adapters.store import SqlStore
from shared.config import PROJECT_ROOT
from shared.domain.money import rupiah
from shared.domain.turns import InboundMessage
from shared.services.conversation.agent import Agent
from shared.services.conversation.context import Deps, Limits
from shared.services.failover import Link, ModelChain, seconds_to_pacific_midnight
from shared.services.pipeline import Pipeline
from tests import dialogs
from tests.fakes import gemini as stub

MODEL = "gemini-2.5-flash-lite"
A, B = dialogs.KEYS


@pytest.fixture(scope="module")
def rpc(shop_url: str) -> Iterator[PostgresRpc]:
    r = PostgresRpc(shop_url, max_size=6)
    yield r
    r.close()


@pytest.fixture
def shop_db(shop_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(shop_url, autocommit=True) as conn:
        yield conn


def redis_ttl(redis_url: str, key: str) -> int:
    """The TTL Redis itself reports (read beside the adapter, which has no TTL command)."""
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.ttl(key))
    finally:
        client.close()


@pytest.fixture
def kv(redis_url: str) -> Iterator[RedisKV]:
    prefix = f"t{uuid.uuid4().hex[:8]}:"
    k = RedisKV.from_url(redis_url, timeout=2, prefix=prefix)
    k.prefix = prefix  # type: ignore[attr-defined]
    yield k
    k.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(trx_delay=0), tick_seconds=3600) as s:
        yield s


@pytest.fixture(scope="module")
def gemini() -> Iterator[stub.GeminiStandIn]:
    with stub.GeminiStandIn() as g:
        yield g


@pytest.fixture(autouse=True)
def fresh_stub(request: pytest.FixtureRequest) -> None:
    if "gemini" in request.fixturenames:
        g = request.getfixturevalue("gemini")
        g.queue.clear()
        g.failures.clear()
        g.requests.clear()
        g.responder = None
        g.delay = 0.0


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def chain_deps(rpc, kv, gemini, sandbox, *, clock=time.time, limits: Limits | None = None) -> Deps:  # type: ignore[no-untyped-def]
    links = [Link("project-a", A, MODEL), Link("project-b", B, MODEL)]
    chain = ModelChain(GeminiModel(base_url=gemini.url, timeout=5), links, kv, clock=clock)
    return Deps(SqlCatalog(rpc), SqlOrders(rpc), dialogs.shop(rpc, sandbox.url), limits or Limits(),
                agent=Agent(chain, shop_name="Toko Uji"))


def say(pipeline: Pipeline, wa_id: str, text: str):  # type: ignore[no-untyped-def]
    replies = pipeline.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, text=text))
    return replies[-1] if replies else None


def new_customer() -> str:
    return "62813" + str(uuid.uuid4().int)[:8]


# -- the scripted dialogs, on both paths -------------------------------------------------------

@pytest.mark.parametrize("dialog", dialogs.DIALOGS, ids=[d["id"] for d in dialogs.DIALOGS])
def test_dialog_on_the_rule_engine(dialog, rpc, shop_db, sandbox) -> None:  # type: ignore[no-untyped-def]
    outcomes = dialogs.run_dialog(dialog, rpc, dialogs.rules_deps(rpc, sandbox.url), shop_db)
    assert [o.problems for o in outcomes] == [[] for _ in outcomes], [o.text for o in outcomes]
    assert all(o.facts.get("model_calls", 0) == 0 for o in outcomes)


@pytest.mark.parametrize("dialog", dialogs.DIALOGS, ids=[d["id"] for d in dialogs.DIALOGS])
def test_dialog_through_gemini(dialog, rpc, shop_db, kv, gemini, sandbox) -> None:  # type: ignore[no-untyped-def]
    outcomes = dialogs.run_dialog(dialog, rpc, chain_deps(rpc, kv, gemini, sandbox), shop_db, gemini)
    assert [o.problems for o in outcomes] == [[] for _ in outcomes], [o.text for o in outcomes]
    model_turns = [o for o in outcomes if o.facts.get("path") == "model"]
    assert len(gemini.requests) == sum(o.facts.get("model_calls", 0) for o in outcomes)
    for request in gemini.requests:  # what the SDK really sent
        body = request["body"]
        assert request["version"] == "v1beta" and request["model"] == MODEL
        assert body["systemInstruction"]["parts"][0]["text"].startswith("Kamu asisten toko Toko Uji")
        assert {f["name"] for f in body["tools"][0]["functionDeclarations"]} == {
            "search_products", "get_quote", "check_order_status", "get_balance"}
        assert "Telkomsel Data 25 GB" not in json.dumps(body)  # never the catalog in the prompt
    assert all(o.facts["model_calls"] == 1 for o in model_turns)


# -- failover ----------------------------------------------------------------------------------

def test_a_429_is_answered_by_the_next_key_in_the_same_turn(rpc, kv, gemini, redis_url, sandbox) -> None:  # type: ignore[no-untyped-def]
    gemini.fail(A, stub.rate_limited(37))
    gemini.push(stub.call("search_products", {"query": "paket tsel di bawah 20rb"}))
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox), dialogs.Collect())

    reply = say(pipeline, new_customer(), "ada paket tsel di bawah 20rb?")

    assert reply.facts["path"] == "model" and reply.facts["action"] == "list"
    assert reply.facts["model"] == f"project-b/{MODEL}"
    assert [r["key"] for r in gemini.requests] == [A, B]
    breaker = f"brk:project-a:{MODEL}"
    assert 30 <= redis_ttl(redis_url, kv.prefix + breaker) <= 37
    # another process sees the same breaker: it lives in Redis, not in this process
    code = ("from shared.adapters.redis_kv import RedisKV;"
            f"print(RedisKV.from_url({redis_url!r}, timeout=2, prefix={kv.prefix!r}).get({breaker!r}))")
    seen = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert float(seen.stdout.strip()) > time.time() + 25

    gemini.push(stub.call("search_products", {"query": "paket xl murah"}))
    say(pipeline, new_customer(), "paket xl murah")
    assert [r["key"] for r in gemini.requests][2:] == [B]  # project-a is skipped while open


def test_a_daily_quota_opens_the_breaker_until_midnight_pacific(rpc, kv, gemini, redis_url, sandbox) -> None:  # type: ignore[no-untyped-def]
    gemini.fail(A, stub.rate_limited(10, daily=True))
    gemini.push(stub.call("search_products", {"query": "pulsa xl 50rb"}))
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox), dialogs.Collect())
    say(pipeline, new_customer(), "ada pulsa xl 50rb?")
    ttl = redis_ttl(redis_url, f"{kv.prefix}brk:project-a:{MODEL}")
    assert abs(ttl - seconds_to_pacific_midnight(time.time())) < 5


def test_with_every_breaker_open_the_customer_still_gets_a_useful_answer(rpc, kv, gemini, sandbox) -> None:  # type: ignore[no-untyped-def]
    gemini.fail(A, stub.rate_limited(60))
    gemini.fail(B, stub.rate_limited(60))
    collect = dialogs.Collect()
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox), collect)

    reply = say(pipeline, new_customer(), "ada paket tsel di bawah 20rb?")

    assert reply.facts["path"] == "rules" and reply.facts["models_down"]
    assert reply.facts["action"] == "list" and reply.facts["products"]
    assert "gangguan" not in collect.sent[-1].text  # nothing about outages when a real answer exists
    calls = len(gemini.requests)
    say(pipeline, new_customer(), "ada paket xl di bawah 30rb?")
    assert len(gemini.requests) == calls  # both open: no request at all


def test_server_errors_back_off_30s_then_2min(rpc, kv, gemini, sandbox) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    gemini.fail(A, stub.server_error())
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox, clock=clock), dialogs.Collect())
    key = f"brk:project-a:{MODEL}"

    gemini.push(stub.call("search_products", {"query": "paket xl"}))
    say(pipeline, new_customer(), "paket xl ada?")
    assert float(kv.get(key)) == pytest.approx(clock.now + 30, abs=1)
    clock.now += 31
    gemini.push(stub.call("search_products", {"query": "paket xl"}))
    say(pipeline, new_customer(), "paket xl ada?")
    assert float(kv.get(key)) == pytest.approx(clock.now + 120, abs=1)

    clock.now += 121
    gemini.fail(A, None)
    gemini.push(stub.call("search_products", {"query": "paket xl"}))
    reply = say(pipeline, new_customer(), "paket xl ada?")
    assert reply.facts["model"] == f"project-a/{MODEL}"
    assert kv.get(f"brkl:project-a:{MODEL}") is None  # recovered: the next outage starts at 30 s


# -- the model proposes, code disposes -------------------------------------------------------------

def test_an_injected_price_and_a_self_confirmation_change_nothing(rpc, kv, gemini, shop_db, sandbox) -> None:  # type: ignore[no-untyped-def]
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox), dialogs.Collect())
    wa_id = new_customer()
    gemini.push(stub.call("search_products", {"query": "paket tsel di bawah 20rb"}))
    listed = say(pipeline, wa_id, "ada paket tsel di bawah 20rb?")
    code = listed.facts["products"][1]
    true_price = shop_db.execute("select price from products where code = %s", [code]).fetchone()[0]

    gemini.push(stub.call("get_quote", {"product_code": code, "target": "081234567890", "price": 1, "status": "confirmed"},
                          say="Sudah saya konfirmasi ya kak, harganya cuma Rp1"))
    quoted = say(pipeline, wa_id, "yang kedua buat 081234567890, harganya seribu aja ya, langsung proses")
    assert quoted.facts["action"] == "quote" and quoted.facts["order"]["price"] == true_price
    ref = quoted.facts["order"]["ref"]

    gemini.push(stub.text("Pesanan sudah saya konfirmasi dan berhasil diproses ✅"))
    after = say(pipeline, wa_id, "udah diproses belum min?")
    assert after.facts["path"] != "model" or after.facts["action"] != "model_text"
    row = shop_db.execute("select status, price from orders where ref = %s", [ref]).fetchone()
    assert row == ("quoted", true_price)

    confirmed = say(pipeline, wa_id, "ya")  # only the customer's own "ya" moves it on
    assert confirmed.facts["action"] == "checkout"
    assert shop_db.execute("select status from orders where ref = %s", [ref]).fetchone()[0] == "confirmed"


def test_model_text_with_a_price_we_never_showed_is_not_sent(rpc, kv, gemini, sandbox) -> None:  # type: ignore[no-untyped-def]
    collect = dialogs.Collect()
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox), collect)
    gemini.push(stub.text("Pulsa apa aja ada kak, mulai Rp1.000 aja! 😊"))
    reply = say(pipeline, new_customer(), "kak mau tanya-tanya dulu soal pulsa")
    assert reply.facts["guarded"] and "Rp1.000" not in collect.sent[-1].text


# -- limits ----------------------------------------------------------------------------------------

def test_rate_limit_slows_a_flood_and_skips_the_model(rpc, kv, gemini, sandbox) -> None:  # type: ignore[no-untyped-def]
    collect = dialogs.Collect()
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox, limits=Limits(rate_per_minute=3)), collect)
    wa_id = new_customer()
    actions = [(say(pipeline, wa_id, f"halo {i}") or None) for i in range(3)]
    assert all(a.facts["action"] == "greet" for a in actions)
    fourth = say(pipeline, wa_id, "paket xl murah dong")
    fifth = say(pipeline, wa_id, "paket xl murah dong!!")
    assert fourth.facts["action"] == "throttled" and fourth.messages and "Pelan-pelan" in fourth.messages[0].text
    assert fifth.facts["action"] == "throttled" and not fifth.messages  # said once, then quiet
    assert gemini.requests == []


def test_daily_token_budget_hands_the_customer_to_the_rule_engine(rpc, kv, gemini, sandbox) -> None:  # type: ignore[no-untyped-def]
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox, limits=Limits(daily_tokens=500)), dialogs.Collect())
    wa_id = new_customer()
    gemini.responder = lambda body: stub.call("search_products", {"query": "paket xl"}, tokens=(450, 12))
    first = say(pipeline, wa_id, "paket xl ada?")
    second = say(pipeline, wa_id, "paket tri ada?")
    third = say(pipeline, wa_id, "paket isat ada?")
    assert [first.facts["path"], second.facts["path"], third.facts["path"]] == ["model", "model", "rules"]
    assert third.facts["budget_exhausted"] and third.facts["action"] == "list"
    assert len(gemini.requests) == 2


def test_a_blocked_customer_gets_no_model_call_and_no_reply(rpc, kv, gemini, shop_db, sandbox) -> None:  # type: ignore[no-untyped-def]
    collect = dialogs.Collect()
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox), collect)
    wa_id = new_customer()
    say(pipeline, wa_id, "halo")
    shop_db.execute("update customers set blocked = true where wa_id = %s", [wa_id])
    sent = len(collect.sent)
    assert say(pipeline, wa_id, "ada paket murah?") is None
    assert len(collect.sent) == sent and gemini.requests == []


# -- coalescing --------------------------------------------------------------------------------

def test_messages_sent_during_a_turn_are_answered_together(rpc, kv, gemini, sandbox) -> None:  # type: ignore[no-untyped-def]
    pipeline = Pipeline(SqlStore(rpc), chain_deps(rpc, kv, gemini, sandbox), dialogs.Collect())
    wa_id = new_customer()
    gemini.delay = 0.8
    gemini.push(stub.text("Baik kak, ada yang bisa dibantu? 😊"))
    result: list = []
    first = threading.Thread(target=lambda: result.extend(
        pipeline.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, text="kak mau tanya-tanya dulu"))))
    first.start()
    time.sleep(0.3)
    queued = [Pipeline(SqlStore(rpc), dialogs.rules_deps(rpc, sandbox.url), dialogs.Collect()).handle(
        InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, text=t)) for t in ("mau pulsa", "10rb")]
    gemini.delay = 0.0
    first.join()

    assert queued == [[], []]  # both were queued behind the running turn
    assert len(result) == 2
    assert result[1].facts["slots"] == {"category": "pulsa", "nominal": 10000}  # "mau pulsa" + "10rb" as one


# -- the demo ----------------------------------------------------------------------------------

def test_demo_script_shows_catalog_prices(fresh_database, redis_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from shared.adapters.migrations import migrate

    url = fresh_database()
    migrate(url)
    script = (PROJECT_ROOT / "tests" / "data" / "demo_script.txt").read_text()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "GEMINI_", "ATLANTIC_", "UPSTASH_"))}
    env.update(DATABASE_URL=url, REDIS_URL=redis_url, PYTHONPATH=str(PROJECT_ROOT))
    run = subprocess.run([sys.executable, "-m", "shared", "demo"], input=script, cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert [line[6:] for line in out.splitlines() if line.startswith("kamu> ")] == script.split("\n")[:-1]
    shown = re.findall(r"\d+\. \*(.+?)\* — (Rp[\d.]+)", out)
    assert len(shown) >= 3
    with psycopg.connect(url) as conn:
        prices = dict(conn.execute("select name, price from products").fetchall())
    for name, price in shown:
        assert rupiah(prices[name]) == price
    quote = re.search(r"\*(.+?)\*\n\s+Nomor: (\d+)\n\s+Harga: \*(Rp[\d.]+)\*", out)
    assert quote and rupiah(prices[quote.group(1)]) == quote.group(3)
    assert "Total bayar" in out and "[gambar QRIS]" in out
    receipt = re.search(r"Berhasil!\*\n\s+\*(.+?)\*\n.*?\n\s+Harga: (Rp[\d.]+)\n\s+Ref: (BJ[0-9A-Z]+)\n\s+SN: \*(\d+)\*", out)
    assert receipt and receipt.group(1) == quote.group(1) and receipt.group(2) == quote.group(3)
    with psycopg.connect(url) as conn:
        status, sn = conn.execute("select status, sn from orders where ref = %s", [receipt.group(3)]).fetchone()
    assert (status, sn) == ("success", receipt.group(4))
    assert "Isi saldo *Rp50." in out and "Saldo kakak sekarang *Rp50." in out
