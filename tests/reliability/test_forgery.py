"""R3 forgery: callbacks that carry the right (static, forgeable) signature but lying bodies and
guessed refs change nothing at all — not an order, a payment, a saldo, an outbox row nor the event
log — and the real callbacks still complete every order afterwards. Over both transports."""

from __future__ import annotations

import random
import string
from typing import Any, Iterator

import pytest

from shared.domain.orders import REF_PATTERN
from tests.reliability.conftest import size
from tests.world import World, make_world

TABLES = ("customers", "conversations", "messages", "outbox", "orders", "payments", "ledger", "webhook_events")


@pytest.fixture(params=["postgres", "supabase"])
def forge_world(request: pytest.FixtureRequest, fresh_database: Any, redis_url: str, postgrest_for: Any) -> Iterator[World]:
    yield from make_world(fresh_database, redis_url, transport=request.param, postgrest_for=postgrest_for)


def snapshot(w: World) -> dict[str, str]:
    return {t: w.db.execute(f"select count(*) || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '')"
                            f" from {t} x").fetchone()[0] for t in TABLES}


def atlantic_id(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(20))


def guessed_ref(rng: random.Random) -> str:
    return "BJ" + "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(8))


def test_lying_callbacks_change_nothing_and_the_real_ones_still_complete(forge_world: World) -> None:
    w, rng = forge_world, random.Random(8)
    engine = w.sandbox.engine
    engine.settings.trx_delay = 3600  # Atlantic is still working on everything below
    # a prepaid order with its id, a bill paid (its id comes only by callback), an order whose create
    # got a 5xx (no id: the reconciler resubmits it), a quote never submitted, a pending deposit
    wa, plain = w.customer(), None
    w.say(wa, "halo")
    w.credit(wa, 2_000_000)
    plain = w.say(wa, "pulsa xl 10rb ke 087812345678").facts["order"]["ref"]
    w.say(wa, "ya")
    bill = w.say(wa, "cek tagihan pln 532110000123").facts["order"]["ref"]
    w.say(wa, "ya")
    lost = w.say(wa, "pulsa tri 20rb ke 089612345678").facts["order"]["ref"]
    w.sandbox.faults["/transaksi/create"] = ["down"]
    w.say(wa, "ya")
    quoted = w.say(wa, "token listrik 50rb 53211000012").facts["order"]["ref"]
    deposit = w.say(wa, "depo 100rb").facts["payment"]["ref"]
    assert w.order(plain)["atlantic_id"] and w.order(bill)["atlantic_id"] is None
    assert w.order(lost)["status"] == "processing" and w.order(lost)["atlantic_id"] is None
    real_plain = w.order(plain)["atlantic_id"]
    before = snapshot(w)

    lies: list[dict[str, Any]] = []
    for ref in (plain, bill, lost, quoted):  # real refs, made-up ids, every claim
        for status in ("success", "failed", "pending"):
            lies.append({"event": "transaksi", "status": status,
                         "data": {"id": atlantic_id(rng), "reff_id": ref, "status": status, "sn": "9" * 18}})
    lies.append({"event": "transaksi.pascabayar", "status": "success",
                 "data": {"id": atlantic_id(rng), "reff_id": bill, "status": "success", "sn": "1" * 16}})
    lies.append({"event": "transaksi", "status": "failed",  # the real id, a lying status
                 "data": {"id": real_plain, "reff_id": plain, "status": "failed"}})
    lies.append({"event": "deposit", "status": "success",
                 "data": {"id": atlantic_id(rng), "reff_id": deposit, "status": "success", "get_balance": "100000"}})
    lies.append({"event": "deposit", "status": "success",
                 "data": {"id": w.payment(deposit)["atlantic_id"], "reff_id": deposit, "status": "success"}})
    for _ in range(size(40, 400)):  # guessed refs of our format, with and without ids
        data = {"reff_id": guessed_ref(rng), "status": "success", "sn": "123"}
        if rng.random() < 0.7:
            data["id"] = atlantic_id(rng)
        lies.append({"event": rng.choice(["transaksi", "transaksi.pascabayar", "deposit"]), "status": "success",
                     "data": data})
    assert all(__import__("re").fullmatch(REF_PATTERN, body["data"]["reff_id"]) for body in lies)
    for body in lies:
        assert w.post(body) == 200
    assert snapshot(w) == before  # no state change of any kind

    # the real callbacks, and the reconciler for the order whose create was lost
    for trx in engine.trx.values():
        trx.due = 0
    w.callbacks()
    w.db.execute("update orders set last_submit_at = now() - interval '1 minute', next_check_at = null"
                 " where ref = %s", [lost])
    engine.settings.trx_delay = 0
    w.reconcile()
    w.callbacks()
    for ref in (plain, bill, lost):
        order = w.order(ref)
        assert order["status"] == "success" and order["sn"], (ref, order["status"])
        assert [t.id for t in w.provider_trx(ref)] == [order["atlantic_id"]]
    assert w.payment(deposit)["status"] == "pending" and w.order(quoted)["status"] == "quoted"
    w.invariants()
