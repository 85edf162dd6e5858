"""R4 faults, through the composition root (``bootstrap.App``) as production builds it: a 429 on the
first Gemini key, 5xx and timeouts, every link open, Atlantic down or slow, Postgres unreachable,
Redis unreachable. The customer is always answered or told, nothing is half-written, and what
could not finish is finished by the reconciler."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Iterator

import psycopg
import pytest
from functions_framework import create_app

from shared import bootstrap
from shared.config import PROJECT_ROOT, Settings
from shared.domain.turns import InboundMessage
from shared.errors import StoreUnavailable
from tests.dialogs import Collect
from tests.fakes import gemini as stub
from tests.helpers import new_wa_id
from tests.world import SIGNATURE, World

KEY_A, KEY_B = "AIzaFaultKeyProjectA1", "AIzaFaultKeyProjectB2"
MODEL = "gemini-2.5-flash-lite"
CLOSED = "127.0.0.1:9"  # nothing listens there (discard): connections are refused at once


@pytest.fixture
def gemini() -> Iterator[stub.GeminiStandIn]:
    with stub.GeminiStandIn() as g:
        yield g


def model_app(url: str, redis_url: str, gemini: stub.GeminiStandIn, messenger: Collect, **more: Any) -> bootstrap.App:
    settings = Settings(_env_file=None, database_url=url, redis_url=redis_url, gemini_base_url=gemini.url,
                        gemini_api_keys=f"project-a:{KEY_A},project-b:{KEY_B}", gemini_fallback_model=None,
                        gemini_timeout_seconds=2, kv_prefix=f"f{uuid.uuid4().hex[:6]}:", **more)
    return bootstrap.App(settings, messenger=messenger)


def say(app: bootstrap.App, messenger: Collect, wa_id: str, text: str) -> Any:
    assert app.messenger is messenger
    replies = app.pipeline.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, text=text))
    return replies[-1]


def test_a_429_on_the_first_key_is_answered_by_the_next_link(shop: str, redis_url: str, gemini) -> None:  # type: ignore[no-untyped-def]
    collect = Collect()
    app = model_app(shop, redis_url, gemini, collect)
    try:
        gemini.fail(KEY_A, stub.rate_limited(40))
        gemini.push(stub.call("search_products", {"query": "paket tsel di bawah 20rb"}))
        reply = say(app, collect, new_wa_id(), "ada paket tsel di bawah 20rb?")
        assert reply.facts["path"] == "model" and reply.facts["model"] == f"project-b/{MODEL}"
        assert reply.facts["action"] == "list" and collect.sent
    finally:
        app.close()


def test_5xx_and_timeouts_open_the_breaker_and_then_the_rules_answer(shop: str, redis_url: str, gemini) -> None:  # type: ignore[no-untyped-def]
    collect = Collect()
    app = model_app(shop, redis_url, gemini, collect)
    try:
        gemini.fail(KEY_A, stub.server_error())
        gemini.delay = 3  # longer than GEMINI_TIMEOUT_SECONDS: key B times out
        reply = say(app, collect, new_wa_id(), "ada paket xl di bawah 30rb?")
        assert reply.facts["path"] == "rules" and reply.facts["models_down"] and reply.facts["action"] == "list"
        for project in ("project-a", "project-b"):
            assert app.kv.get(f"brk:{project}:{MODEL}") is not None  # open, in Redis for every instance
        gemini.delay = 0
        calls = len(gemini.requests)
        again = say(app, collect, new_wa_id(), "ada pulsa tsel 25rb?")
        assert again.facts["path"] == "rules" and len(gemini.requests) == calls  # every link open: no call
        assert again.messages and again.facts["action"] in ("list", "ask_target", "price")
    finally:
        app.close()


def test_redis_unreachable_the_bot_degrades_and_still_answers(shop: str, gemini) -> None:  # type: ignore[no-untyped-def]
    collect = Collect()
    app = model_app(shop, f"redis://{CLOSED}/0", gemini, collect, kv_timeout_seconds=0.5)
    try:
        gemini.push(stub.call("search_products", {"query": "pulsa xl 50rb"}))
        reply = say(app, collect, new_wa_id(), "ada pulsa xl 50rb?")
        assert reply.facts["path"] == "model" and reply.facts["action"] in ("list", "price", "ask_target")
        gemini.fail(KEY_A, stub.server_error())  # a failure whose breaker cannot be written either
        gemini.fail(KEY_B, stub.server_error())
        reply = say(app, collect, new_wa_id(), "ada paket data indosat?")
        assert reply.facts["path"] == "rules" and reply.messages
    finally:
        app.close()


def test_postgres_unreachable_means_503_and_nothing_written(world: World) -> None:
    unreachable = Settings(**{**world.settings.model_dump(), "database_url": f"postgresql://postgres@{CLOSED}/x",
                              "db_connect_timeout_seconds": 1, "_env_file": None})
    app = bootstrap.App(unreachable, messenger=Collect())
    bootstrap.use(app)
    webhook = create_app("atlantic_webhook", str(PROJECT_ROOT / "functions" / "atlantic_webhook" / "main.py")).test_client()
    try:
        body = {"event": "transaksi", "status": "success", "data": {"id": "Xy7Qa21bCdE9fGh0JkLm", "reff_id": "BJ7KQ2M9XH",
                                                                    "status": "success"}}
        outcome: dict[str, Any] = {}

        def turn() -> None:  # a WhatsApp webhook answers 5xx on this: Meta retries
            try:
                app.pipeline.handle(InboundMessage(wamid="wamid.unreachable", wa_id=new_wa_id(), text="halo"))
            except Exception as exc:  # noqa: BLE001
                outcome["error"] = exc

        thread = threading.Thread(target=turn)  # both wait out the pool's timeout at once
        thread.start()
        status = webhook.post("/", json=body, headers={"X-ATL-Signature": SIGNATURE}).status_code
        thread.join()
        assert status == 503  # so Atlantic may retry
        assert isinstance(outcome.get("error"), StoreUnavailable)
    finally:
        app.close()
        bootstrap.use(world.app)
    assert world.db.execute("select count(*) from webhook_events").fetchone()[0] == 0
    assert world.db.execute("select count(*) from messages where wamid = 'wamid.unreachable'").fetchone()[0] == 0


def test_a_turn_whose_end_was_lost_is_answered_by_the_reconciler(world: World, postgrest_for: Any) -> None:
    """The database went away between the turn's two calls: the message waits, half-answered in
    nothing; the reconciler answers it once the lease lapses, and the customer is not charged twice."""
    from shared.adapters.supabase import SupabaseRpc

    api = postgrest_for(world.url)
    collect = Collect()
    app = bootstrap.App(world.settings, rpc=SupabaseRpc(api.url, api.service_key), messenger=collect)
    try:
        wa = world.customer()
        say(app, collect, wa, "halo")
        world.credit(wa, 50_000)
        ref = say(app, collect, wa, "pulsa xl 10rb ke 087812345678").facts["order"]["ref"]
        api.refuse["end_turn"] = 1
        sent = len(collect.sent)
        # paid from saldo, then the reply could not be stored: the message is recorded, so the
        # pipeline leaves it to the reconciler instead of raising (the webhook answers 200)
        assert app.pipeline.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa, text="ya")) == []
        assert len(collect.sent) == sent
        assert world.order(ref)["status"] == "paid"
        world.db.execute("update conversations set lease_until = now() - interval '1 second'"
                         " where customer_id = %s", [world.customer_id(wa)])
        world.db.execute("update messages set created_at = now() - interval '1 minute' where handled_at is null")
        report = app.reconcile()
        assert report["stale_turns_answered"] == 1
        texts = world.texts(wa)
        assert "sudah dibayar" in texts[-1] or "Berhasil" in texts[-1] or "diproses" in texts[-1]
        assert not any("kedaluwarsa" in t for t in texts)
        world.callbacks()
        assert world.order(ref)["status"] == "success" and world.saldo(wa) == 50_000 - world.order(ref)["price"]
        assert world.db.execute("select count(*) from conversations where lease_token is not null").fetchone()[0] == 0
    finally:
        app.close()


def test_atlantic_down_or_slow_the_customer_is_told_and_the_reconciler_finishes(world: World) -> None:
    wa = world.customer()
    world.say(wa, "halo")
    world.credit(wa, 100_000)
    # a QRIS cannot be made: the customer is told, the order waits confirmed, a retry works
    world.say(wa, "pulsa tri 20rb ke 089612345678")
    world.sandbox.faults["/deposit/create"] = ["down"]
    busy = world.say(wa, "qris")
    assert busy.facts["action"] == "supplier_busy" and "sibuk" in busy.messages[0].text
    assert world.db.execute("select count(*) from payments where status = 'pending'").fetchone()[0] == 0
    retry = world.say(wa, "qris")
    assert retry.facts["action"] == "checkout"
    # a purchase whose create times out stays processing, never refunded; the reconciler ends it
    ref = world.say(wa, "pulsa xl 10rb ke 087812345678").facts["order"]["ref"]
    world.sandbox.faults["/transaksi/create"] = ["lost"]
    paid = world.say(wa, "pakai saldo")
    assert paid.facts["action"] == "paid" and "diproses" in paid.messages[0].text
    assert world.order(ref)["status"] == "processing" and world.order(ref)["atlantic_id"] is None
    world.db.execute("update orders set last_submit_at = now() - interval '1 minute', next_check_at = null"
                     " where ref = %s", [ref])
    world.reconcile()  # resubmits: Atlantic already has that reff_id, so it waits for Atlantic's word
    world.sandbox.faults["/transaksi/status"] = ["down"]
    world.callbacks()  # the callback names the id, but Atlantic cannot be asked now: kept unverified
    assert world.order(ref)["status"] == "processing" and world.order(ref)["atlantic_id"] is None
    time.sleep(1.1)
    assert world.reconcile()["callbacks_verified"] == 1  # asked again: Atlantic confirms it
    order = world.order(ref)
    assert order["status"] == "success" and len(world.provider_trx(ref)) == 1
    world.invariants()
    with psycopg.connect(world.url) as db:
        assert db.execute("select count(*) from customers c left join ledger l on l.customer_id = c.id"
                          " group by c.id having c.saldo <> coalesce(sum(l.amount), 0)").fetchall() == []
