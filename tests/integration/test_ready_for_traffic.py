"""Issue "ready for real traffic, part 1": one test (or a few) per defect, each failing on the code
before the fix. Real Postgres; over both transports (``any_world``, ``rpc``) where a SQL function
is involved. The reliability suite (tests/reliability) puts the same paths under load."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import psycopg
import pytest

from shared.adapters.store import SqlStore
from shared.config import PROJECT_ROOT
from shared.domain.orders import REF_PATTERN
from shared.domain.turns import InboundMessage, OutboundMessage
from shared.errors import StoreUnavailable
from shared.services.pipeline import Pipeline
from tests.dialogs import Collect
from tests.helpers import inbound, new_wa_id
from tests.reliability.conftest import deadlocks
from tests.world import ADMIN, SIGNATURE, World


def quote(w: World, wa: str, text: str) -> str:
    reply = w.say(wa, text)
    assert reply.facts["action"] == "quote", reply.facts
    return reply.facts["order"]["ref"]


def saldo_order(w: World, text: str = "pulsa xl 10rb ke 087812345678", credit: int = 100_000) -> tuple[str, str]:
    wa = w.customer()
    w.say(wa, "halo")
    w.credit(wa, credit)
    return wa, quote(w, wa, text)


# -- 1. begin_turn / end_turn and confirm_orders / finish_order deadlocked each other --------------

def test_1_begin_turn_and_end_turn_never_deadlock(rpc, database_url: str) -> None:  # type: ignore[no-untyped-def]
    store = SqlStore(rpc, lease_seconds=30)
    before, errors = deadlocks(database_url), []
    wa = new_wa_id()
    for _ in range(15):
        holder = store.begin_turn(inbound(wa, "kak"))
        if holder.status != "leased":
            continue

        def burst() -> None:
            try:
                store.begin_turn(inbound(wa, "mau pulsa"))
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=burst) for _ in range(4)]
        for t in threads:
            t.start()
        end = store.end_turn(holder.conversation_id, holder.lease.token, {}, [OutboundMessage("Siap kak")])
        for t in threads:
            t.join()
        while end.lease is not None:  # answer what queued meanwhile, as the pipeline does
            end = store.end_turn(holder.conversation_id, holder.lease.token, {}, [OutboundMessage("Oke kak")])
    assert errors == [] and deadlocks(database_url) - before == 0


def test_1_confirm_orders_and_finish_order_never_deadlock(any_world: World) -> None:
    w, before, errors = any_world, deadlocks(any_world.url), []
    wa, _ = saldo_order(w, credit=1_000_000)
    cid = w.customer_id(wa)
    refs = []
    for n in range(12):
        ref = quote(w, wa, f"pulsa xl {5 + 5 * (n % 3)}rb ke 08781234{n:04d}")
        assert w.app.orders.confirm(cid, [ref]).outcome == "paid"
        w.app.orders.start_processing(ref)  # submitted: the callback's finish and a second "ya" race
        refs.append(ref)

    def run(fn: Any) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    for ref in refs:
        threads = [threading.Thread(target=run, args=(lambda r=ref: w.app.orders.finish(r, "failed"),)),
                   threading.Thread(target=run, args=(lambda r=ref: w.app.orders.confirm(cid, [r]),))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == [] and deadlocks(w.url) - before == 0
    assert all(w.order(r)["status"] == "refunded" for r in refs)
    w.invariants()


def test_1_a_deadlock_that_still_happens_is_retried_by_the_transports(rpc, db) -> None:  # type: ignore[no-untyped-def]
    """A call the server rolls back with SQLSTATE 40P01 is run again (it was one transaction);
    one that keeps failing becomes StoreUnavailable: "try again", never a lost reply."""
    seq = f"deadlock_{uuid.uuid4().hex[:8]}"
    db.execute(f"create sequence public.{seq}")  # nextval survives the rollback: it counts the tries
    db.execute(f"""create or replace function public.deadlock_then_ok(p_times integer) returns jsonb
                   language plpgsql as $$
                   declare v bigint := nextval('public.{seq}');
                   begin
                     if v <= p_times then
                       raise exception 'deadlock detected' using errcode = '40P01';
                     end if;
                     return jsonb_build_object('tries', v);
                   end $$""")
    db.execute("grant execute on function public.deadlock_then_ok(integer) to service_role")
    db.execute(f"grant usage on sequence public.{seq} to service_role")
    try:
        assert rpc.call("deadlock_then_ok", {"p_times": 2}) == {"tries": 3}  # two deadlocks, then done
        db.execute(f"alter sequence public.{seq} restart")
        with pytest.raises(StoreUnavailable):  # deadlocked every time: given up after a few tries
            rpc.call("deadlock_then_ok", {"p_times": 99})
        tries = db.execute(f"select last_value from public.{seq}").fetchone()[0]
        assert tries == 4
    finally:
        db.execute("drop function public.deadlock_then_ok(integer)")
        db.execute(f"drop sequence public.{seq}")


# -- 2. a forged callback pinned a made-up Atlantic id on an order -----------------------------------

def forged(ref: str, status: str = "success") -> dict[str, Any]:
    return {"event": "transaksi", "status": status,
            "data": {"id": "Fake" + uuid.uuid4().hex[:16], "reff_id": ref, "status": status, "sn": "6" * 18}}


def test_2_a_forged_callback_cannot_pin_an_id_on_a_bill_order(any_world: World) -> None:
    w = any_world
    wa = w.customer()
    w.say(wa, "halo")
    ref = quote(w, wa, "cek tagihan pln 532110000123")
    w.credit(wa, w.order(ref)["price"])
    assert w.say(wa, "ya").facts["action"] == "paid"
    assert w.order(ref)["status"] == "processing" and w.order(ref)["atlantic_id"] is None  # bayar has no id
    w.sandbox.engine.settings.trx_delay = 3600
    for trx in w.provider_trx(ref):
        trx.due = float("inf")
    assert w.post(forged(ref)) == 200 and w.post({**forged(ref), "event": "transaksi.pascabayar"}) == 200
    assert w.order(ref)["atlantic_id"] is None and w.order(ref)["status"] == "processing"
    for trx in w.provider_trx(ref):
        trx.due = 0
    w.callbacks()  # the real one
    order = w.order(ref)
    assert order["status"] == "success" and order["sn"] and order["atlantic_id"] == w.provider_trx(ref)[0].id


def test_2_a_forged_callback_cannot_stop_the_resubmission_of_a_lost_create(any_world: World) -> None:
    w = any_world
    wa, ref = saldo_order(w)
    w.sandbox.faults["/transaksi/create"] = ["down"]  # a 5xx: nothing was created
    w.say(wa, "ya")
    assert w.post(forged(ref)) == 200
    assert w.order(ref)["atlantic_id"] is None and w.provider_trx(ref) == []
    w.db.execute("update orders set last_submit_at = now() - interval '1 minute', next_check_at = null"
                 " where ref = %s", [ref])
    w.reconcile()  # resubmitted, since nothing pinned an id on it
    w.callbacks()
    assert w.order(ref)["status"] == "success" and len(w.provider_trx(ref)) == 1
    w.invariants()


def test_2_refs_are_short_random_and_not_sequential(any_world: World) -> None:
    w = any_world
    wa, first = saldo_order(w)
    refs = [first] + [w.app.orders.reserve_ref() for _ in range(60)]
    assert all(re.fullmatch(REF_PATTERN, r) and len(r) == 10 for r in refs)
    assert len(set(refs)) == len(refs) and sorted(refs) != refs
    assert len({r[-4:] for r in refs}) > 50  # no shared counter tail to guess from


# -- 3. customers who had paid were told their quote expired -----------------------------------------

def test_3_after_a_qris_settles_outside_the_turn_nothing_says_expired_or_charges_again(any_world: World) -> None:
    w = any_world
    wa = w.customer()
    ref = quote(w, wa, "pulsa tri 20rb ke 089612345678")
    pay_ref = w.say(wa, "ya").facts["payment"]["ref"]
    w.sandbox.pay(w.payment(pay_ref)["atlantic_id"])
    w.callbacks()  # the webhook: paid, submitted
    w.callbacks()  # delivered
    assert w.order(ref)["status"] == "success"
    saldo, payments = w.saldo(wa), w.db.execute("select count(*) from payments").fetchone()[0]
    for text in ("ya", "makasih kak", "pakai saldo", "oke", "udah bayar"):
        reply = w.say(wa, text)
        said = " ".join(m.text or "" for m in reply.messages)
        assert "kedaluwarsa" not in said and reply.facts["action"] not in ("checkout", "paid", "quote_expired"), text
    assert "berhasil" in w.texts(wa)[-1] or "Sama-sama" in " ".join(w.texts(wa)[-5:])
    assert w.saldo(wa) == saldo and w.db.execute("select count(*) from payments").fetchone()[0] == payments


def test_3_a_turn_that_died_after_the_saldo_debit_is_answered_paid_and_processing(any_world: World) -> None:
    w = any_world
    wa, ref = saldo_order(w)
    price = w.order(ref)["price"]
    # the turn that said "ya" debited saldo, then its instance died before it could answer
    assert w.app.orders.confirm(w.customer_id(wa), [ref], method="saldo").outcome == "paid"
    reply = w.say(wa, "ya")  # the customer, hearing nothing, confirms again
    text = reply.messages[0].text
    assert reply.facts["action"] == "already_paid" and "sudah dibayar" in text and "diproses" in text
    assert "kedaluwarsa" not in text and w.saldo(wa) == 100_000 - price  # charged once
    assert w.order(ref)["status"] == "processing"  # and submitted now, not left for later
    w.callbacks()
    assert w.order(ref)["status"] == "success"
    w.invariants()


# -- 4. Atlantic reversals were ignored ------------------------------------------------------------------

def test_4_a_success_reversed_to_failed_is_recorded_alerts_once_and_moves_no_money(any_world: World) -> None:
    w = any_world
    wa, ref = saldo_order(w)
    w.say(wa, "ya")
    w.callbacks()
    assert w.order(ref)["status"] == "success"
    saldo = w.saldo(wa)
    w.sandbox.engine.reverse(w.provider_trx(ref)[0].id, "failed")
    [(body, status)] = w.deliver()
    assert status == 200 and w.post(body) == 200 and w.post(body) == 200  # delivered three times
    order = w.order(ref)
    assert order["status"] == "success" and order["flipped_to"] == "failed" and order["flipped_at"]
    assert w.saldo(wa) == saldo  # never a second money movement on its own
    alerts = [t for t in w.texts(ADMIN) if ref in t]
    assert len(alerts) == 1 and "failed" in alerts[0]
    w.invariants()


def test_4_a_refund_reversed_to_success_is_recorded_too(any_world: World) -> None:
    w = any_world
    wa, ref = saldo_order(w, "pulsa xl 10rb ke 081900000000")  # the sandbox fails it
    w.say(wa, "ya")
    w.callbacks()
    assert w.order(ref)["status"] == "refunded"
    saldo = w.saldo(wa)
    w.sandbox.engine.reverse(w.provider_trx(ref)[0].id, "success")
    w.callbacks()
    assert w.order(ref)["status"] == "refunded" and w.order(ref)["flipped_to"] == "success"
    assert w.saldo(wa) == saldo and len([t for t in w.texts(ADMIN) if ref in t]) == 1


def test_4_the_reconciler_rechecks_finished_orders_once(any_world: World) -> None:
    w = any_world
    wa, ref = saldo_order(w)
    w.say(wa, "ya")
    w.callbacks()
    w.sandbox.engine.reverse(w.provider_trx(ref)[0].id, "failed")
    w.sandbox.engine.outbox.clear()  # Atlantic never calls back about it
    w.db.execute("update orders set finished_at = now() - interval '11 minutes' where ref = %s", [ref])
    assert w.reconcile()["reversals_found"] == 1
    assert w.order(ref)["flipped_to"] == "failed" and w.order(ref)["rechecked_at"] is not None
    w.reconcile()
    assert len([t for t in w.texts(ADMIN) if ref in t]) == 1  # re-checked once, alerted once
    w.db.execute("update orders set rechecked_at = null, finished_at = now() - interval '30 hours'"
                 " where ref = %s", [ref])
    assert w.reconcile().get("reversals_found", 0) == 0  # past RECHECK_FINISHED_HOURS: left alone


# -- 5. bad input got a 5xx, and a huge signed body was stored whole ---------------------------------------

BAD_BODIES = {
    "control characters": b'{"event":"transaksi\x07","data":{"id":"\x00","reff_id":"BJ7KQ2M9XH"}}',
    "invalid unicode": b'{"event":"transaksi","data":{"id":"\xff\xfe","reff_id":"BJ7KQ2M9XH"}}',
    "a lone surrogate": b'{"event":"transaksi","data":{"id":"\\ud800","reff_id":"BJ7KQ2M9XH"}}',
    "NUL escaped": b'{"event":"transaksi","data":{"id":"A","reff_id":"BJ7KQ2M9XH","note":"\\u0000"}}',
    "a number out of range": b'{"event":"transaksi","data":{"id":1e400,"reff_id":"BJ7KQ2M9XH"}}',
    "a huge integer": b'{"event":"transaksi","data":{"id":' + b"9" * 400 + b',"reff_id":"BJ7KQ2M9XH"}}',
    "NaN": b'{"event":"transaksi","status":NaN,"data":{"id":"A","reff_id":"BJ7KQ2M9XH"}}',
    "deep nesting": b'{"event":"transaksi","data":{"id":"A","reff_id":"BJ7KQ2M9XH","x":' + b"[" * 5000 + b"]" * 5000 + b"}}",
    "an id that is an object": b'{"event":"transaksi","data":{"id":{"$gt":""},"reff_id":"BJ7KQ2M9XH"}}',
    "no data": b'{"event":"transaksi"}',
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_5_bad_input_is_400_and_nothing_is_stored(world: World, body: bytes) -> None:
    response = world.webhook.post("/", data=body, headers={"X-ATL-Signature": SIGNATURE},
                                  content_type="application/json")
    assert response.status_code == 400
    assert world.db.execute("select count(*) from webhook_events").fetchone()[0] == 0


def test_5_an_oversized_body_is_413_and_nothing_is_stored(world: World) -> None:
    wa, ref = saldo_order(world)
    world.say(wa, "ya")
    real = world.deliver()  # a real callback, padded to 65 KiB: signed, but too large to take
    body = dict(real[0][0]) if real else {"event": "transaksi", "data": {"reff_id": ref}}
    before = world.db.execute("select count(*) from webhook_events").fetchone()[0]
    padded = json.dumps({**body, "padding": "x" * 70_000}).encode()
    response = world.webhook.post("/", data=padded, headers={"X-ATL-Signature": SIGNATURE},
                                  content_type="application/json")
    assert response.status_code == 413
    assert world.db.execute("select count(*) from webhook_events").fetchone()[0] == before
    assert world.db.execute("select max(length(payload::text)) from webhook_events").fetchone()[0] < 65_536


# -- 6. two deposit kinds always failed -------------------------------------------------------------------

def test_6_a_deposit_past_what_qris_takes_is_explained_not_attempted(world: World) -> None:
    wa = world.customer()
    reply = world.say(wa, "depo 5jt")  # DEPOSIT_MAX_AMOUNT, but QRIS takes Rp5.000.000 fee included
    text = reply.messages[0].text
    assert reply.facts["action"] == "deposit_out_of_range" and "maksimal" in text and "Rp4.9" in text
    assert "sibuk" not in text and world.db.execute("select count(*) from payments").fetchone()[0] == 0
    ok = world.say(wa, "depo 4jt")
    assert ok.facts["action"] == "checkout" and ok.facts["payment"]["amount"] <= 5_000_000
    small = world.say(wa, "depo 5rb")  # below DEPOSIT_MIN_AMOUNT
    assert small.facts["action"] == "deposit_out_of_range" and "minimal" in small.messages[0].text


def test_6_an_ovo_deposit_asks_for_the_ovo_number_and_sends_it(world: World) -> None:
    wa = world.customer()
    asked = world.say(wa, "isi saldo 50rb pakai ovo")
    assert asked.facts["action"] == "deposit_ask_phone" and "OVO" in asked.messages[0].text
    assert world.db.execute("select count(*) from payments").fetchone()[0] == 0
    checkout = world.say(wa, "0857 1234 5678")
    assert checkout.facts["action"] == "checkout" and checkout.facts["payment"]["method"] == "OVO"
    deposit = world.sandbox.engine.deposits[world.payment(checkout.facts["payment"]["ref"])["atlantic_id"]]
    assert deposit.phone == "085712345678" and "https://" in checkout.messages[0].text
    mine = world.say(world.customer(), "depo 20rb via ovo")
    assert mine.facts["action"] == "deposit_ask_phone"


# -- 7. a ref named twice doubled the total ---------------------------------------------------------------

def test_7_a_repeated_ref_is_one_order_charged_once(any_world: World) -> None:
    w = any_world
    wa, ref = saldo_order(w)
    price = w.order(ref)["price"]
    result = w.app.orders.confirm(w.customer_id(wa), [ref, ref, ref], method="saldo")
    assert result.outcome == "paid" and result.total == price and len(result.orders) == 1
    assert w.saldo(wa) == 100_000 - price
    assert w.db.execute("select count(*) from ledger where kind = 'debit'").fetchone()[0] == 1


# -- 8. a turn could outlive its lease ----------------------------------------------------------------------

class Jumpy:
    """A monotonic clock for the pipeline that moves ``step`` seconds each time it is read: every
    step of the turn seems to take that long."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 1000.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_8_a_slow_turn_keeps_its_lease_and_its_qris_reply(world: World, caplog: pytest.LogCaptureFixture) -> None:
    wa = world.customer()
    quote(world, wa, "pulsa xl 10rb ke 087812345678")
    messenger = Collect()
    slow = Pipeline(world.app.store, world.app.deps, messenger, acks=world.app.acks,
                    lease_seconds=world.settings.turn_lease_seconds, clock=Jumpy(25.0))
    caplog.set_level("INFO", logger="shared.services.lease")
    replies = slow.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa, text="ya"))
    assert replies[-1].facts["action"] == "checkout"
    assert any("lease extended" in r.getMessage() for r in caplog.records)  # before the Atlantic calls
    assert [m.kind for m in messenger.sent] == ["image"] and messenger.sent[0].payload["qr_string"]


def test_8_a_lease_taken_over_mid_turn_still_delivers_the_qris_and_makes_no_second(world: World) -> None:
    wa = world.customer()
    quote(world, wa, "pulsa xl 10rb ke 087812345678")
    world.sandbox.faults["/deposit/create"] = ["slow:1.5"]
    other = Collect()
    second = Pipeline(world.app.store, world.app.deps, other)  # another instance

    def takeover() -> None:  # the lease runs out while Atlantic is slow; the customer writes again
        time.sleep(0.7)
        world.db.execute("update conversations set lease_until = now() - interval '1 second'"
                         " where customer_id = %s", [world.customer_id(wa)])
        second.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa, text="halo?"))

    thread = threading.Thread(target=takeover)
    thread.start()
    world.say(wa, "ya")
    thread.join()
    images = [m for m in world.messenger.sent + other.sent if m.kind == "image"]
    assert len(images) >= 1 and images[0].payload["qr_string"]  # the QRIS reached the customer
    assert world.db.execute("select count(*) from payments").fetchone()[0] == 1  # one checkout only
    assert world.db.execute("select count(*) from conversations where lease_token is not null").fetchone()[0] == 0


# -- 10. the QRIS fee was kept when an order failed -----------------------------------------------------------

def test_10_a_failed_qris_order_gives_back_price_and_fee(any_world: World) -> None:
    w = any_world
    wa = w.customer()
    ref = quote(w, wa, "pulsa xl 10rb ke 081900000000")  # the sandbox fails it
    pay_ref = w.say(wa, "ya").facts["payment"]["ref"]
    payment = w.payment(pay_ref)
    assert payment["fee"] > 0 and payment["fee_payer"] == "customer"
    w.sandbox.pay(payment["atlantic_id"])
    w.callbacks()
    w.callbacks()
    order = w.order(ref)
    assert order["status"] == "refunded" and order["fee_paid"] == payment["amount"] - w.payment(pay_ref)["credited"]
    assert w.saldo(wa) == payment["amount"]  # all the customer paid, fee included
    kinds = dict(w.db.execute("select kind, sum(amount) from ledger where order_id = %s group by kind",
                              [order["id"]]).fetchall())
    assert kinds == {"debit": -order["price"], "refund": order["price"], "fee_refund": order["fee_paid"]}
    told = w.texts(wa)[-1]
    assert "biaya QRIS" in told and "Rp" in told and "dikembalikan" in told
    w.invariants()


def test_10_an_order_paid_from_saldo_while_its_qris_waited_gets_everything_back_once(any_world: World) -> None:
    """"pakai saldo" while a QRIS waits, the QRIS paid anyway, then the order fails: the QRIS money
    and its fee went to saldo when it came, the price comes back on the failure, nothing twice."""
    w = any_world
    wa, ref = saldo_order(w, "pulsa xl 10rb ke 081900000000", credit=50_000)  # the sandbox fails it
    qris = w.say(wa, "qris")
    payment = w.payment(qris.facts["payment"]["ref"])
    w.sandbox.faults["/deposit/cancel"] = ["down"]  # our cancel of the QRIS does not get through
    assert w.say(wa, "pakai saldo").facts["action"] == "paid"
    w.sandbox.pay(payment["atlantic_id"])  # the customer pays the QRIS as well
    w.callbacks()
    w.callbacks()
    order = w.order(ref)
    assert order["status"] == "refunded" and w.payment(payment["ref"])["status"] == "paid"
    assert w.saldo(wa) == 50_000 + payment["amount"]  # the saldo back, and the whole QRIS
    w.invariants()


# -- 11. a restarted demo replayed the previous run's last reply ------------------------------------------------

def test_11_a_restarted_demo_does_not_replay_the_last_reply(fresh_database, redis_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from shared.adapters.migrations import migrate

    url = fresh_database()
    migrate(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "GEMINI_", "ATLANTIC_", "UPSTASH_"))}
    env.update(DATABASE_URL=url, REDIS_URL=redis_url, PYTHONPATH=str(PROJECT_ROOT))

    def demo(script: str) -> str:
        run = subprocess.run([sys.executable, "-m", "shared", "demo"], input=script, cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr
        return run.stdout

    first = demo("halo\ncek saldo\n")
    assert "Saldo kakak" in first
    with psycopg.connect(url, autocommit=True) as db:
        assert db.execute("select count(*) from outbox where status <> 'sent'").fetchone()[0] == 0
        db.execute("update outbox set created_at = created_at - interval '2 minutes'")  # restarted later
    second = demo("menu\n")
    assert "Saldo kakak" not in second and "bisa aku bantu" in second

