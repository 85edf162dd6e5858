"""Orders and money end to end: the real pipeline, real Postgres, the Atlantic sandbox over HTTP, and
callbacks delivered to the real ``atlantic_webhook`` function through functions-framework."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from functions_framework import create_app

from shared import bootstrap
from shared.adapters.orders_store import SqlOrders
from shared.adapters.store import SqlStore
from shared.config import PROJECT_ROOT
from shared.domain.money import rupiah
from shared.services.fulfilment import fulfil
from shared.services.shop import MoneySettings, Notifier, Shop

from tests.world import ADMIN, SIGNATURE, USERNAME, World


def quote_ref(reply: Any) -> str:
    assert reply.facts["action"] == "quote", reply.facts
    return reply.facts["order"]["ref"]


# -- buying ----------------------------------------------------------------------------------------

def test_buy_with_saldo(world: World) -> None:
    wa = world.customer()
    world.say(wa, "halo")
    world.credit(wa, 50_000)
    quoted = world.say(wa, "pulsa xl 10rb ke 087812345678")
    ref = quote_ref(quoted)
    price = world.order(ref)["price"]
    assert "Dibayar dari saldo" in quoted.messages[0].text

    paid = world.say(wa, "ya")

    assert paid.facts["action"] == "paid" and world.order(ref)["status"] == "processing"  # submitted after the turn
    assert world.saldo(wa) == 50_000 - price
    assert len(world.provider_trx(ref)) == 1 and world.provider_trx(ref)[0].target == "087812345678"
    assert world.callbacks() == [200]
    order = world.order(ref)
    assert order["status"] == "success" and order["sn"]
    receipt = world.texts(wa)[-1]
    assert "Berhasil" in receipt and order["sn"] in receipt and rupiah(price) in receipt and ref in receipt
    world.invariants()


def test_buy_with_qris_ends_with_the_token(world: World) -> None:
    wa = world.customer()
    ref = quote_ref(world.say(wa, "token listrik 20rb 53211000012"))
    checkout = world.say(wa, "ya")

    assert checkout.facts["action"] == "checkout"
    image = checkout.messages[0]
    assert image.kind == "image" and image.payload["qr_string"].startswith("000201")
    pay_ref = checkout.facts["payment"]["ref"]
    payment = world.payment(pay_ref)
    assert payment["status"] == "pending" and payment["amount"] == checkout.facts["payment"]["amount"]
    assert rupiah(payment["amount"]) in image.text and "Berlaku sampai" in image.text

    world.sandbox.pay(payment["atlantic_id"])
    world.callbacks()           # deposit success → paid → submitted
    world.callbacks()           # transaction success → receipt

    order = world.order(ref)
    assert world.payment(pay_ref)["status"] == "paid" and order["status"] == "success"
    token = order["sn"]
    assert len(token) == 20 and "-".join(token[i:i + 4] for i in range(0, 20, 4)) in world.texts(wa)[-1]
    assert world.saldo(wa) == world.payment(pay_ref)["credited"] - order["price"]
    world.invariants()


def test_unpaid_qris_expires_and_is_cancelled_at_atlantic(world: World) -> None:
    wa = world.customer()
    ref = quote_ref(world.say(wa, "pulsa isat 10rb ke 085712345678"))
    pay_ref = world.say(wa, "ya").facts["payment"]["ref"]
    world.db.execute("update payments set expires_at = now() - interval '1 second', created_at = now() - interval '1 minute'"
                     " where ref = %s", [pay_ref])

    world.reconcile()

    payment = world.payment(pay_ref)
    assert payment["status"] == "cancelled"
    assert world.sandbox.engine.deposits[payment["atlantic_id"]].status == "cancel"
    assert world.order(ref)["status"] == "expired"
    assert "kedaluwarsa" in world.texts(wa)[-1]
    world.invariants()


def test_a_deposit_atlantic_does_not_know_is_closed_once_expired_and_asked_about_until_then(world: World) -> None:
    wa = world.customer()
    ref = quote_ref(world.say(wa, "pulsa isat 10rb ke 085712345678"))
    pay_ref = world.say(wa, "ya").facts["payment"]["ref"]
    world.db.execute("update payments set atlantic_id = 'DEP-UNKNOWN', created_at = now() - interval '1 minute'"
                     " where ref = %s", [pay_ref])
    world.reconcile()
    assert world.payment(pay_ref)["status"] == "pending"  # not yet expired: it may still appear
    world.db.execute("update payments set expires_at = now() - interval '1 second', next_check_at = null where ref = %s",
                     [pay_ref])  # its time is up, and it is due to be asked about again
    world.reconcile()
    assert world.payment(pay_ref)["status"] == "expired" and world.order(ref)["status"] == "expired"
    assert "kedaluwarsa" in world.texts(wa)[-1]
    world.invariants()


def test_a_qris_paid_after_its_order_was_cancelled_lands_in_saldo(world: World) -> None:
    wa = world.customer()
    ref = quote_ref(world.say(wa, "pulsa tri 20rb ke 089612345678"))
    pay_ref = world.say(wa, "ya").facts["payment"]["ref"]
    atlantic_id = world.payment(pay_ref)["atlantic_id"]
    world.sandbox.faults["/deposit/cancel"] = ["down"]  # our cancel at Atlantic does not get through
    assert world.say(wa, "batal").facts["action"] == "cancelled"
    assert world.order(ref)["status"] == "cancelled"

    world.sandbox.pay(atlantic_id)  # the customer pays anyway
    world.callbacks()

    payment = world.payment(pay_ref)
    assert payment["status"] == "paid" and payment["credited"] > 0
    # all the customer paid is in saldo: the credit, and the QRIS fee of the order that was not bought
    assert world.saldo(wa) == payment["amount"] and world.order(ref)["status"] == "cancelled"
    assert "sudah masuk ke saldo" in world.texts(wa)[-1]
    assert world.provider_trx(ref) == []
    world.invariants()


def test_deposit_to_saldo(world: World) -> None:
    wa = world.customer()
    checkout = world.say(wa, "depo 50rb via qris")
    assert checkout.facts["action"] == "checkout" and checkout.facts["payment"]["kind"] == "deposit"
    pay_ref = checkout.facts["payment"]["ref"]
    payment = world.payment(pay_ref)
    assert payment["amount"] - payment["fee"] >= 50_000  # the customer pays the fee on top

    world.post({"event": "deposit", "status": "success", "data": {"id": payment["atlantic_id"], "reff_id": pay_ref,
                                                                  "status": "success"}})
    assert world.saldo(wa) == 0  # a callback's word is not money: Atlantic still says pending
    world.sandbox.pay(payment["atlantic_id"])
    world.callbacks()

    assert world.saldo(wa) == world.payment(pay_ref)["credited"] >= 50_000
    assert "Isi saldo" in world.texts(wa)[-1]
    world.invariants()


def test_an_ewallet_deposit_gets_a_payment_link(world: World) -> None:
    wa = world.customer()
    checkout = world.say(wa, "isi saldo 50rb pakai dana")
    assert checkout.facts["action"] == "checkout" and checkout.facts["payment"]["method"] == "DANA"
    message = checkout.messages[0]
    assert message.kind == "text" and "https://" in message.text
    payment = world.payment(checkout.facts["payment"]["ref"])
    world.sandbox.engine.settings.settle_after = 0
    world.sandbox.pay(payment["atlantic_id"])   # DANA: "processing" first, then settled
    world.callbacks()
    world.callbacks()
    assert world.payment(payment["ref"])["status"] == "paid" and world.saldo(wa) >= 50_000


def test_failed_transaction_is_refunded(world: World) -> None:
    wa = world.customer()
    world.say(wa, "halo")
    world.credit(wa, 30_000)
    ref = quote_ref(world.say(wa, "pulsa xl 10rb ke 081900000000"))  # the sandbox fails targets ending in 0000
    world.say(wa, "ya")
    world.callbacks()

    order = world.order(ref)
    assert order["status"] == "refunded" and order["refunded_at"] is not None
    assert world.saldo(wa) == 30_000
    assert "dikembalikan ke saldo" in world.texts(wa)[-1]
    world.invariants()


def test_a_refusal_on_the_first_submission_refunds_at_once(world: World) -> None:
    wa = world.customer()
    world.say(wa, "halo")
    world.credit(wa, 30_000)
    ref = quote_ref(world.say(wa, "pulsa axis 10rb ke 083812345678"))
    world.sandbox.engine.products["AX10"]["status"] = "empty"  # gone between the quote and the purchase
    try:
        world.say(wa, "ya")
    finally:
        world.sandbox.engine.products["AX10"]["status"] = "available"
    assert world.order(ref)["status"] == "refunded" and world.saldo(wa) == 30_000
    assert world.provider_trx(ref) == []
    world.invariants()


def test_bill_check_then_pay(world: World) -> None:
    wa = world.customer()
    quoted = world.say(wa, "cek tagihan pln 532110000123")
    ref = quote_ref(quoted)
    text = quoted.messages[0].text
    order = world.order(ref)
    bill = order["bill"]
    assert bill["customer_name"] in text and bill["periods"] and rupiah(order["price"]) in text
    assert order["cost"] == bill["total"] and order["price"] > order["cost"]
    world.credit(wa, order["price"])

    assert world.say(wa, "ya").facts["action"] == "paid"
    trx = world.provider_trx(ref)
    assert len(trx) == 1 and trx[0].kind == "pascabayar"
    assert world.order(ref)["atlantic_id"] is None  # bayar answers without an id
    world.callbacks()                               # transaksi.pascabayar carries it

    order = world.order(ref)
    assert order["status"] == "success" and order["atlantic_id"] == trx[0].id and order["sn"]
    world.invariants()


def test_two_targets_make_two_orders_in_one_confirmation(world: World) -> None:
    wa = world.customer()
    quoted = world.say(wa, "pulsa tsel 10rb ke 081312345678 sama 081398765432")
    refs = [o["ref"] for o in quoted.facts["orders"]]
    assert len(refs) == 2 and "Total 2 pesanan" in quoted.messages[0].text
    targets = {world.order(r)["target"] for r in refs}
    assert targets == {"081312345678", "081398765432"}

    checkout = world.say(wa, "ya")
    payment = world.payment(checkout.facts["payment"]["ref"])
    total = sum(world.order(r)["price"] for r in refs)
    assert payment["amount"] - payment["fee"] >= total
    world.sandbox.pay(payment["atlantic_id"])
    world.callbacks()
    world.callbacks()
    assert [world.order(r)["status"] for r in refs] == ["success", "success"]
    assert all(len(world.provider_trx(r)) == 1 for r in refs)
    world.invariants()


def test_buying_the_same_again_asks_yakin(world: World) -> None:
    wa = world.customer()
    world.say(wa, "halo")
    world.credit(wa, 50_000)
    world.say(wa, "pulsa xl 5rb ke 087812345678")
    world.say(wa, "ya")
    again = world.say(wa, "pulsa xl 5rb ke 087812345678")
    assert "Yakin beli lagi?" in again.messages[0].text


def test_history_and_saldo_mutations(world: World) -> None:
    wa = world.customer()
    world.say(wa, "halo")
    world.credit(wa, 40_000)
    world.say(wa, "pulsa xl 5rb ke 087812345678")
    world.say(wa, "ya")
    world.callbacks()
    history = world.say(wa, "riwayat")
    assert history.facts["action"] == "status" and "berhasil" in history.messages[0].text
    mutations = world.say(wa, "mutasi saldo")
    assert mutations.facts["action"] == "mutations" and "Keluar" in mutations.messages[0].text


# -- exactly once ------------------------------------------------------------------------------------

def paid_order(world: World, text: str = "pulsa xl 10rb ke 087812345678") -> tuple[str, str]:
    """A customer with an order paid from saldo but not yet submitted (as after a crash)."""
    wa = world.customer()
    world.say(wa, "halo")
    world.credit(wa, 100_000)
    ref = quote_ref(world.say(wa, text))
    result = world.app.orders.confirm(world.customer_id(wa), [ref], method="saldo")
    assert result.outcome == "paid"
    return wa, ref


def test_callbacks_three_times_and_out_of_order(world: World) -> None:
    wa, ref = paid_order(world)
    fulfil(world.app.shop, ref)
    sent = world.deliver()
    assert [s for _, s in sent] == [200]
    success = sent[0][0]
    for _ in range(3):
        assert world.post(success) == 200
    stale = {**success, "status": "pending", "data": {**success["data"], "status": "pending", "sn": None}}
    lie = {**success, "status": "failed", "data": {**success["data"], "status": "failed", "sn": None}}
    assert world.post(stale) == 200 and world.post(lie) == 200

    order = world.order(ref)
    assert order["status"] == "success" and world.saldo(wa) == 100_000 - order["price"]
    assert sum("Berhasil" in t for t in world.texts(wa)) == 1
    events = world.db.execute("select event_key from webhook_events where event_key like %s",
                              [f"transaksi:{order['atlantic_id']}:%"]).fetchall()
    # only what Atlantic confirmed is recorded: the stale "pending" and the lie both re-read as success
    assert events == [(f"transaksi:{order['atlantic_id']}:success",)]
    world.invariants()


@pytest.mark.parametrize("fault", ["down", "lost"])
def test_a_lost_submission_is_resubmitted_with_the_same_reff_id(world: World, fault: str) -> None:
    wa, ref = paid_order(world)
    world.sandbox.faults["/transaksi/create"] = [fault]
    fulfil(world.app.shop, ref)
    assert world.order(ref)["status"] == "processing" and world.order(ref)["atlantic_id"] is None
    assert len(world.provider_trx(ref)) == (1 if fault == "lost" else 0)

    world.db.execute("update orders set last_submit_at = now() - interval '1 minute', next_check_at = null"
                     " where ref = %s", [ref])
    world.reconcile()  # resubmits: created now ("down"), or refused as a duplicate ("lost")
    world.callbacks()  # the callback names the id either way

    order = world.order(ref)
    assert order["status"] == "success" and len(world.provider_trx(ref)) == 1
    assert order["atlantic_id"] == world.provider_trx(ref)[0].id
    world.invariants()


def test_a_crash_between_create_and_recording_the_id(world: World, postgrest_for) -> None:  # type: ignore[no-untyped-def]
    wa, ref = paid_order(world)
    api = postgrest_for(world.url)
    from shared.adapters.supabase import SupabaseRpc

    rpc = SupabaseRpc(api.url, api.service_key)
    orders = SqlOrders(rpc)
    shop = Shop(orders, world.app.supplier, Notifier(orders, SqlStore(rpc), None), MoneySettings())
    api.refuse["record_submission"] = 1
    with pytest.raises(Exception):
        fulfil(shop, ref)
    assert world.order(ref)["status"] == "processing" and len(world.provider_trx(ref)) == 1

    world.db.execute("update orders set last_submit_at = now() - interval '1 minute', next_check_at = null"
                     " where ref = %s", [ref])
    world.reconcile()
    world.callbacks()
    assert world.order(ref)["status"] == "success" and len(world.provider_trx(ref)) == 1
    world.invariants()
    rpc.close()


def test_a_crash_after_payment_before_processing_is_picked_up(world: World) -> None:
    wa, ref = paid_order(world)
    assert world.order(ref)["status"] == "paid"
    world.reconcile()
    assert world.order(ref)["status"] == "processing"
    time.sleep(1.1)
    world.db.execute("update orders set next_check_at = null where ref = %s", [ref])
    world.reconcile()  # no callback at all: the status poll finishes it
    assert world.order(ref)["status"] == "success" and len(world.provider_trx(ref)) == 1
    world.invariants()


def test_a_killed_process_mid_submission_never_makes_a_second_transaction(world: World) -> None:
    wa, ref = paid_order(world)
    world.sandbox.faults["/transaksi/create"] = ["slow:5"]
    code = (
        "import sys; from shared.config import Settings; from shared.bootstrap import App;"
        "from shared.services.fulfilment import fulfil;"
        f"app = App(Settings(_env_file=None, database_url={world.url!r}, atlantic_api_key='sandbox',"
        f" atlantic_base_url={world.sandbox.url!r}, atlantic_username={USERNAME!r}));"
        f"fulfil(app.shop, {ref!r})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=PROJECT_ROOT,
                            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    deadline = time.time() + 30
    while not world.provider_trx(ref) and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)  # killed while Atlantic is answering
    proc.wait(timeout=10)
    assert world.order(ref)["status"] == "processing" and world.order(ref)["atlantic_id"] is None

    world.db.execute("update orders set last_submit_at = now() - interval '1 minute', next_check_at = null"
                     " where ref = %s", [ref])
    world.reconcile()
    world.callbacks()
    assert world.order(ref)["status"] == "success" and len(world.provider_trx(ref)) == 1
    world.invariants()


def test_concurrent_reconcilers_submit_each_order_once(world: World) -> None:
    import threading

    refs = [paid_order(world, f"pulsa xl {n}rb ke 087812345678")[1] for n in (5, 10, 15, 20, 25)]
    threads = [threading.Thread(target=world.reconcile) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    world.callbacks()
    assert all(len(world.provider_trx(r)) == 1 for r in refs)
    world.invariants()


def test_an_unresolved_order_is_escalated_never_refunded(world: World) -> None:
    wa, ref = paid_order(world)
    world.sandbox.faults["/transaksi/create"] = ["lost"]
    fulfil(world.app.shop, ref)
    world.db.execute("update orders set processing_at = now() - interval '2 hours', last_submit_at = now(),"
                     " next_check_at = now() + interval '1 hour' where ref = %s", [ref])
    world.reconcile()
    world.reconcile()
    assert world.order(ref)["status"] == "processing" and world.order(ref)["escalated_at"] is not None
    admin = world.texts(ADMIN)
    assert len(admin) == 1 and ref in admin[0] and "[ADMIN]" in admin[0]
    customer = world.texts(wa)
    assert sum("masih diproses" in t for t in customer) == 1  # one pending notice, not one per pass


def test_low_atlantic_balance_alerts_the_admins_once(world: World) -> None:
    world.sandbox.engine.balance = 50_000
    world.reconcile()
    world.db.execute("update jobs set last_run_at = '-infinity' where name = 'balance_check'")
    world.reconcile()
    alerts = [t for t in world.texts(ADMIN) if "Saldo Atlantic" in t]
    assert len(alerts) == 1 and "Rp50.000" in alerts[0]


# -- the webhook function: forgery and bad input ---------------------------------------------------------

def test_missing_or_wrong_signature_is_401_and_changes_nothing(world: World) -> None:
    wa = world.customer()
    world.say(wa, "depo 20rb")
    before = world.db.execute("select count(*) from webhook_events").fetchone()[0]
    body = {"event": "deposit", "status": "success", "data": {"id": "x", "reff_id": "y", "status": "success"}}
    assert world.post(body, headers={}) == 401
    assert world.post(body, headers={"X-ATL-Signature": "0" * 32}) == 401
    assert world.db.execute("select count(*) from webhook_events").fetchone()[0] == before


def test_a_lying_body_with_the_right_signature_credits_nothing(world: World) -> None:
    wa = world.customer()
    pay_ref = world.say(wa, "depo 100rb").facts["payment"]["ref"]
    atlantic_id = world.payment(pay_ref)["atlantic_id"]
    assert world.post({"event": "deposit", "status": "success",
                       "data": {"id": atlantic_id, "reff_id": pay_ref, "status": "success", "get_balance": "100000"}}) == 200
    assert world.payment(pay_ref)["status"] == "pending" and world.saldo(wa) == 0


def test_nothing_recorded_means_503_so_atlantic_retries(world: World, postgrest_for) -> None:  # type: ignore[no-untyped-def]
    from shared.adapters.supabase import SupabaseRpc

    wa, ref = paid_order(world)
    fulfil(world.app.shop, ref)
    world.sandbox.engine.tick()  # the transaction succeeds at Atlantic; its callback is not delivered
    trx = world.provider_trx(ref)[0]
    body = {"event": "transaksi", "status": "success", "data": {"id": trx.id, "reff_id": ref, "status": "success"}}
    api = postgrest_for(world.url)
    app = bootstrap.App(world.settings, rpc=SupabaseRpc(api.url, api.service_key))
    bootstrap.use(app)
    try:
        api.refuse["record_event"] = 1
        assert world.post(body) == 503  # the database did not take it: Atlantic may retry
        assert world.order(ref)["status"] == "processing"
        api.refuse["find_order"] = 1
        assert world.post(body) == 503
        assert world.post(body) == 200  # the retry goes through
        assert world.order(ref)["status"] == "success"
    finally:
        app.close()
        bootstrap.use(world.app)


def test_malformed_bodies_are_400(world: World) -> None:
    assert world.webhook.post("/webhook/atlantic", data=b"not json", headers={"X-ATL-Signature": SIGNATURE}).status_code == 400
    assert world.post({"event": "transaksi"}) == 400
    assert world.post(["not", "an", "object"]) == 400


def test_the_reconciler_function_answers_with_its_report(world: World) -> None:
    client = create_app("reconciler", str(PROJECT_ROOT / "functions" / "reconciler" / "main.py")).test_client()
    response = client.post("/")
    assert response.status_code == 200 and response.get_json()["ok"] is True
    assert "payments_settled" in response.get_json()


def test_saying_ya_again_shows_the_same_qris(world: World) -> None:
    wa = world.customer()
    quote_ref(world.say(wa, "pulsa xl 10rb ke 087812345678"))
    first = world.say(wa, "ya").facts["payment"]["ref"]
    again = world.say(wa, "ya")
    assert again.facts["action"] == "checkout" and again.facts["payment"]["ref"] == first
    assert world.db.execute("select count(*) from payments").fetchone()[0] == 1


def test_the_receipt_again_covers_every_order_bought_together(world: World) -> None:
    wa = world.customer()
    world.say(wa, "halo")
    world.credit(wa, 50_000)
    quoted = world.say(wa, "token 20rb ke meter 53211000012 terus pulsa xl 5rb ke 087812345678")
    refs = [o["ref"] for o in quoted.facts["orders"]]
    assert quoted.facts["action"] == "quote" and len(refs) == 2
    assert world.say(wa, "ya").facts["action"] == "paid"
    world.callbacks()
    assert all(world.order(ref)["status"] == "success" for ref in refs)
    again = world.say(wa, "minta struknya dong")
    text = again.messages[0].text
    assert again.facts["action"] == "receipt" and all(ref in text for ref in refs)
    assert all(world.order(ref)["sn"] in text.replace("-", "") or world.order(ref)["sn"] in text for ref in refs)
