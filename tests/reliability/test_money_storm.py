"""R2 money storm: many mixed money operations on 12 threads — confirmations (twice, with repeated
refs), saldo and QRIS payments, deposits, callbacks delivered up to three times out of order,
forged callbacks, reconciler passes, refunds and reversals — then a drain. Afterwards saldo is Σ
ledger, no payment is credited twice, no order has two provider transactions, each order's money
matches its status, and nothing is left in flight."""

from __future__ import annotations

import json
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import psycopg
import pytest
from functions_framework import create_app

from shared.config import PROJECT_ROOT
from shared.errors import AmountOutOfRange, BotError, ProductNotForSale, SupplierError
from shared.services.fulfilment import fulfil
from shared.services.payments import start_checkout
from tests.reliability.conftest import deadlocks, size
from tests.world import SIGNATURE, World, make_world

PRODUCTS = ["X5", "X10", "S10", "I10", "T20", "AX10", "S_D2", "PLN20", "PLN50"]


@pytest.fixture(params=["postgres", "supabase"])
def storm_world(request: pytest.FixtureRequest, fresh_database: Any, redis_url: str, postgrest_for: Any) -> Iterator[World]:
    yield from make_world(fresh_database, redis_url, pending_notice_seconds=30, escalate_after_seconds=3600, transport=request.param, postgrest_for=postgrest_for)


class Storm:
    def __init__(self, world: World, seed: int) -> None:
        self.w = world
        self.app = world.app
        self.shop = world.app.shop
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.local = threading.local()
        self.customers: list[int] = []
        self.quotes: list[tuple[int, str]] = []       # (customer, ref) to confirm
        self.payments: list[str] = []                 # Atlantic deposit ids to pay
        self.waiting: list[tuple[int, str]] = []      # (customer, ref) with a QRIS waiting
        self.seen: list[dict[str, Any]] = []          # callback bodies delivered, to replay
        self.ops = 0
        self.errors: list[str] = []
        with psycopg.connect(world.url) as db:
            codes = [r[0] for r in db.execute("select code from products where status = 'available'"
                                              " and category in ('pulsa', 'data', 'pln') order by code")]
        self.codes = [c for c in PRODUCTS if c in codes] or codes[:8]

    # -- plumbing -------------------------------------------------------------------------------

    def webhook(self) -> Any:
        if not hasattr(self.local, "client"):
            self.local.client = create_app("atlantic_webhook", str(PROJECT_ROOT / "functions" / "atlantic_webhook"
                                                                   / "main.py")).test_client()
        return self.local.client

    def post(self, body: dict[str, Any]) -> int:
        return self.webhook().post("/", data=json.dumps(body), headers={"X-ATL-Signature": SIGNATURE},
                                   content_type="application/json").status_code

    def pick(self, items: list[Any], *, pop: bool = False) -> Any:
        with self.lock:
            if not items:
                return None
            i = self.rng.randrange(len(items))
            return items.pop(i) if pop else items[i]

    def chance(self, p: float) -> bool:
        with self.lock:
            return self.rng.random() < p

    # -- operations -----------------------------------------------------------------------------

    def setup(self, customers: int) -> None:
        for _ in range(customers):
            wa = self.w.customer()
            self.w.say(wa, "halo")
            cid = self.w.customer_id(wa)
            self.app.store.post_ledger(cid, "credit", 200_000, f"seed-{uuid.uuid4()}", note="modal")
            self.customers.append(cid)

    def quote(self) -> None:
        cid = self.pick(self.customers)
        code = self.pick(self.codes)
        meter = code.startswith("PLN")
        failing = self.chance(0.15)  # the sandbox fails targets ending in 0000
        target = ("5321100" + ("0000" if failing else f"{self.rng.randrange(1000, 9999)}")) if meter else \
            ("0878" + f"{self.rng.randrange(1000, 9999)}" + ("0000" if failing else f"{self.rng.randrange(1000, 9999)}"))
        try:
            order = self.app.orders.create_quote(cid, code, target)
        except ProductNotForSale:
            return
        with self.lock:
            self.quotes.append((cid, order.ref))

    def confirm_saldo(self) -> None:
        picked = self.pick(self.quotes, pop=True)
        if picked is None:
            return
        cid, ref = picked
        refs = [ref, ref] if self.chance(0.2) else [ref]  # a ref named twice is charged once
        result = self.app.orders.confirm(cid, refs, method="saldo")
        if self.chance(0.3):
            self.app.orders.confirm(cid, [ref], method="saldo")  # "ya" twice
        if result.outcome == "paid":
            fulfil(self.shop, ref)

    def confirm_qris(self) -> None:
        picked = self.pick(self.quotes, pop=True)
        if picked is None:
            return
        cid, ref = picked
        result = self.app.orders.confirm(cid, [ref], method="qris")
        if result.outcome != "awaiting_qris":
            return
        ready = [o for o in result.orders if o.status == "confirmed"]
        try:
            payment = start_checkout(self.shop, cid, kind="order", orders=ready)
        except (SupplierError, AmountOutOfRange):
            return
        with self.lock:
            self.payments.append(payment.atlantic_id)
            self.waiting += [(cid, o.ref) for o in ready]

    def saldo_instead(self) -> None:
        """"pakai saldo" while a QRIS waits: paid from saldo; the QRIS, if paid too, lands in saldo."""
        picked = self.pick(self.waiting, pop=True)
        if picked is None:
            return
        cid, ref = picked
        if self.app.orders.confirm(cid, [ref], method="saldo").outcome == "paid":
            fulfil(self.shop, ref)

    def deposit(self) -> None:
        cid = self.pick(self.customers)
        try:
            payment = start_checkout(self.shop, cid, kind="deposit", amount=self.rng.choice([10_000, 25_000, 50_000]))
        except (SupplierError, AmountOutOfRange):
            return
        with self.lock:
            self.payments.append(payment.atlantic_id)

    def pay(self) -> None:
        deposit = self.pick(self.payments, pop=True)
        if deposit:
            self.w.sandbox.pay(deposit)

    def callbacks(self) -> None:
        due = self.w.sandbox.engine.tick()  # taken from the queue: delivered below, 1-3 times, shuffled
        deliveries = [body for body in due for _ in range(self.rng.randint(1, 3))]
        with self.lock:
            self.rng.shuffle(deliveries)
            self.seen.extend(due)
        for body in deliveries:
            assert self.post(body) == 200

    def replay(self) -> None:
        body = self.pick(self.seen)
        if body:
            assert self.post(body) == 200  # an old callback, out of order

    def forge(self) -> None:
        body = self.pick(self.seen)
        if body:
            lie = {**body, "status": "success",
                   "data": {**body["data"], "status": "success", "id": uuid.uuid4().hex[:20], "sn": "1"}}
            assert self.post(lie) == 200

    def reverse(self) -> None:
        engine = self.w.sandbox.engine
        with engine._lock:
            finished = [t for t in engine.trx.values() if t.status in ("success", "failed")]
        trx = self.pick(finished)
        if trx is not None:
            try:
                engine.reverse(trx.id, "failed" if trx.status == "success" else "success")
            except ValueError:
                pass

    def cancel(self) -> None:
        picked = self.pick(self.quotes, pop=True)
        if picked:
            self.app.orders.cancel(*picked)

    def reconcile(self) -> None:
        self.app.reconcile()

    def run(self, op: str) -> None:
        try:
            getattr(self, op)()
        except (BotError, AssertionError) as exc:
            with self.lock:
                self.errors.append(f"{op}: {type(exc).__name__}: {exc}")
        with self.lock:
            self.ops += 1


WEIGHTS = {"quote": 6, "confirm_saldo": 3, "confirm_qris": 2, "saldo_instead": 1, "deposit": 1, "pay": 3,
           "callbacks": 3, "replay": 2, "forge": 1, "reverse": 1, "cancel": 1, "reconcile": 1}


def drain(w: World, storm: Storm) -> None:
    """Let everything finish: pay nothing more, expire what waits, run callbacks and passes."""
    with psycopg.connect(w.url, autocommit=True) as db:
        for _ in range(12):
            db.execute("update orders set quote_expires_at = now() - interval '1 hour',"
                       " last_submit_at = now() - interval '1 hour', processing_at = now() - interval '1 hour',"
                       " next_check_at = null where status in ('quoted', 'confirmed', 'paid', 'processing')")
            db.execute("update payments set expires_at = now() - interval '1 second',"
                       " created_at = now() - interval '1 hour', next_check_at = null where status = 'pending'")
            storm.callbacks()
            w.app.reconcile()
            storm.callbacks()
            left = db.execute("select (select count(*) from orders where status in"
                              " ('quoted', 'confirmed', 'paid', 'processing'))"
                              " + (select count(*) from payments where status = 'pending')").fetchone()[0]
            if left == 0:
                return


def test_a_money_storm_keeps_every_rupiah(storm_world: World) -> None:
    w = storm_world
    before = deadlocks(w.url)
    storm = Storm(w, seed=20261201)
    storm.setup(size(12, 40))
    ops = [op for op, weight in WEIGHTS.items() for _ in range(weight)]
    plan = [storm.rng.choice(ops) for _ in range(size(360, 1800))]
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(storm.run, plan))
    drain(w, storm)

    assert storm.ops >= len(plan) and storm.errors == []
    assert deadlocks(w.url) - before == 0
    with psycopg.connect(w.url) as db:
        bad = db.execute("select c.id from customers c left join ledger l on l.customer_id = c.id"
                         " group by c.id having c.saldo <> coalesce(sum(l.amount), 0)").fetchall()
        assert bad == []  # saldo = Σ ledger
        twice = db.execute("select payment_id from ledger where kind = 'credit' and payment_id is not null"
                           " group by payment_id having count(*) > 1").fetchall()
        assert twice == []  # at most one credit per payment
        in_flight = db.execute("select ref, status from orders where status in ('quoted', 'confirmed', 'paid',"
                               " 'processing')").fetchall()
        assert in_flight == [] and db.execute("select count(*) from payments where status = 'pending'"
                                              ).fetchone()[0] == 0
        # each order's own money matches its status: a delivered order cost its price (and, when it
        # was paid from saldo while its QRIS waited, that QRIS's fee came back with the QRIS); a
        # refunded one gave back the price and the QRIS fee; one never paid for, only a stranded fee
        for ref, status, price, fee, method, net in db.execute(
                "select o.ref, o.status, o.price, o.fee_paid, o.payment_method, coalesce(sum(l.amount), 0)"
                " from orders o left join ledger l on l.order_id = o.id group by o.id").fetchall():
            expected = (-price + (fee if method == "saldo" else 0)) if status == "success" else fee
            assert net == expected, (ref, status, price, fee, method, net)
        refs = [r[0] for r in db.execute("select ref from orders")]
        flipped = db.execute("select count(*) from orders where flipped_to is not null").fetchone()[0]
    trx_refs = [t.reff_id for t in w.sandbox.engine.trx.values()]
    assert all(trx_refs.count(ref) <= 1 for ref in refs)  # at most one provider transaction per order
    counts = {op: plan.count(op) for op in WEIGHTS}
    print(f"\nstorm: {len(plan)} operations {counts}, {len(refs)} orders, {flipped} reversals recorded")
