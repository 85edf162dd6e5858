"""Every outcome of every order and payment SQL function, table by table, over both transports
(psycopg and PostgREST), called through our own ``SqlOrders``.

Each table row names the state an order (or payment) is put in, the call, and what must follow:
the outcome, the state after, and how much saldo moved. States are reached through the product's
own functions (quote → confirm → pay → process); only the clock is moved by hand (``age``).
The module has a database of its own, so the reconciler's claims see only rows made here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import psycopg
import pytest

from shared.adapters.migrations import migrate
from shared.adapters.orders_store import SqlOrders
from shared.adapters.postgres import PostgresRpc
from shared.adapters.store import SqlStore
from shared.domain.orders import Order, Payment
from shared.errors import InvalidArgument, NotFound, ProductNotForSale
from tests.helpers import inbound

PRICE, COST, FEE = 10_500, 10_000, 300


# -- a database of its own, over both transports ----------------------------------------------------

@pytest.fixture(scope="module")
def lab_url(fresh_database) -> str:  # type: ignore[no-untyped-def]
    url = fresh_database()
    migrate(url)
    return url


@pytest.fixture(scope="module")
def lab_postgres(lab_url: str) -> Iterator[PostgresRpc]:
    rpc = PostgresRpc(lab_url, max_size=4)
    yield rpc
    rpc.close()


@pytest.fixture(scope="module")
def lab_supabase(lab_url: str) -> Iterator[Any]:
    from shared.adapters.supabase import SupabaseRpc
    from tests.fakes.postgrest import PostgrestStandIn

    with PostgrestStandIn(lab_url) as api:
        rpc = SupabaseRpc(api.url, api.service_key, timeout=10)
        yield rpc
        rpc.close()


@pytest.fixture(params=["postgres", "supabase"])
def lab(request: pytest.FixtureRequest, lab_url: str) -> Iterator[Lab]:
    rpc = request.getfixturevalue(f"lab_{request.param}")
    with psycopg.connect(lab_url, autocommit=True) as db:
        yield Lab(rpc, db)


class Lab:
    """Customers, products and orders in any state, made through the product's functions."""

    def __init__(self, rpc: Any, db: psycopg.Connection) -> None:
        self.orders = SqlOrders(rpc)
        self.store = SqlStore(rpc)
        self.db = db

    # -- arranging ---------------------------------------------------------------------------------

    def customer(self, saldo: int = 0) -> int:
        cid = self.store.begin_turn(inbound()).customer.id
        if saldo:
            self.credit(cid, saldo)
        return cid

    def credit(self, cid: int, amount: int) -> None:
        self.store.post_ledger(cid, "credit", amount, f"seed-{uuid.uuid4()}", note="test")

    def product(self, *, status: str = "available", type: str = "prabayar", price: int = PRICE,
                cost: int = COST) -> str:
        code = f"T{uuid.uuid4().hex[:10].upper()}"
        self.db.execute(
            "insert into products (code, name, category, provider, type, cost, price, status)"
            " values (%s, %s, %s, 'TELKOMSEL', %s, %s, %s, %s)",
            [code, f"Produk {code}", "bill" if type == "pascabayar" else "pulsa", type, cost, price, status])
        return code

    def quote(self, cid: int, code: str | None = None, target: str = "081234567890", **kw: Any) -> Order:
        return self.orders.create_quote(cid, code or self.product(), target, **kw)

    def checkout(self, cid: int, refs: list[str], *, amount: int = PRICE + FEE, fee: int = FEE,
                 fee_payer: str = "customer", kind: str = "order") -> Payment:
        payment = self.orders.create_payment(cid, kind, "QRIS", amount, fee, fee_payer, refs)
        return self.orders.attach_deposit(payment.ref, f"DEP{uuid.uuid4().hex[:12]}", qr_string="000201test",
                                          url=None, expires_at=None)

    def age(self, table: str, ref: str, **columns: str) -> None:
        """Move timestamps back: ``age("orders", ref, processing_at="2 minutes")``."""
        if not columns:
            return
        sets = ", ".join(f"{col} = now() - %s::interval" for col in columns)
        self.db.execute(f"update {table} set {sets} where ref = %s", [*columns.values(), ref])

    def make(self, state: str, cid: int | None = None) -> tuple[int, Order]:
        """An order of a fresh customer (saldo 0 once it is paid) in ``state``."""
        cid = cid or self.customer()
        order = self.quote(cid)
        ref = order.ref
        if state == "quoted":
            return cid, order
        if state == "quoted_expired":
            self.age("orders", ref, quote_expires_at="1 minute")
            return cid, order
        if state == "cancelled":
            return cid, self.orders.cancel(cid, ref)
        if state in ("confirmed", "confirmed_stale", "confirmed_waiting", "expired"):
            order = self.orders.confirm(cid, [ref], method="qris").orders[0]
            if state == "confirmed_waiting":
                self.checkout(cid, [ref])
            if state in ("confirmed_stale", "expired"):
                self.age("orders", ref, quote_expires_at="6 minutes")
            if state == "expired":
                self.orders.expire_quotes()
            return cid, self.orders.find(ref=ref)  # type: ignore[return-value]
        self.credit(cid, order.price)
        order = self.orders.confirm(cid, [ref], method="saldo").orders[0]
        if state == "paid":
            return cid, order
        order = self.orders.start_processing(ref)
        if state == "processing":
            return cid, order
        order = self.orders.record_submission(ref, f"TRX{uuid.uuid4().hex[:10]}", "processing")
        if state == "submitted":
            return cid, order
        final = {"success": "success", "refunded": "failed"}[state]
        return cid, self.orders.finish(ref, final, sn="SN123" if final == "success" else None)

    # -- inspecting --------------------------------------------------------------------------------

    def saldo(self, cid: int) -> int:
        return self.db.execute("select saldo from customers where id = %s", [cid]).fetchone()[0]

    def status(self, ref: str) -> str:
        return self.db.execute("select status from orders where ref = %s", [ref]).fetchone()[0]

    def ledger(self, cid: int) -> list[tuple[str, int]]:
        return [tuple(r) for r in self.db.execute(
            "select kind, amount from ledger where customer_id = %s order by id", [cid]).fetchall()]


def refs_of(rows: list[Any]) -> set[str]:
    return {r.ref for r in rows}


# -- create_quote -------------------------------------------------------------------------------------

def test_create_quote_takes_price_and_cost_from_products(lab: Lab) -> None:
    cid = lab.customer()
    order = lab.quote(cid, lab.product(price=12_000, cost=11_000))
    assert (order.status, order.price, order.cost, order.recent_duplicate) == ("quoted", 12_000, 11_000, None)
    assert order.expires_at is not None and order.ref.startswith("BJ") and len(order.ref) == 10


def test_create_quote_warns_of_the_same_product_and_target_bought_minutes_ago(lab: Lab) -> None:
    cid = lab.customer()
    code = lab.product()
    first = lab.quote(cid, code)
    lab.orders.confirm(cid, [first.ref], method="qris")
    again = lab.quote(cid, code)
    assert again.recent_duplicate is not None and again.recent_duplicate["ref"] == first.ref
    assert again.recent_duplicate["status"] == "confirmed" and again.recent_duplicate["minutes"] == 0
    assert lab.quote(cid, code, target="085712345678").recent_duplicate is None  # another target


def test_create_quote_replaces_a_pending_quote(lab: Lab) -> None:
    cid = lab.customer()
    old = lab.quote(cid)
    new = lab.quote(cid, replace_ref=old.ref, target="085712345678")
    assert (lab.status(old.ref), new.status, new.target) == ("cancelled", "quoted", "085712345678")


def test_create_quote_of_a_bill_charges_its_total_plus_our_margin(lab: Lab) -> None:
    cid = lab.customer()
    code = lab.product(type="pascabayar", price=3_000, cost=2_500)
    ref = lab.orders.reserve_ref()
    order = lab.quote(cid, code, target="530000000001", ref=ref, bill={"total": 152_500, "name": "SITI"})
    assert (order.ref, order.kind, order.cost, order.price) == (ref, "pascabayar", 152_500, 153_000)
    with pytest.raises(InvalidArgument):  # a bill quote needs its inquiry
        lab.quote(cid, code, target="530000000001", ref=lab.orders.reserve_ref())
    with pytest.raises(InvalidArgument):  # and its reference is used once
        lab.quote(cid, code, target="530000000001", ref=ref, bill={"total": 152_500})


@pytest.mark.parametrize("case, error", [
    ("product empty", ProductNotForSale),
    ("product unavailable", ProductNotForSale),
    ("unknown product", NotFound),
    ("unknown customer", NotFound),
    ("empty target", InvalidArgument),
    ("target too long", InvalidArgument),
    ("ttl too short", InvalidArgument),
])
def test_create_quote_refuses(lab: Lab, case: str, error: type[Exception]) -> None:
    cid, code, target, ttl = lab.customer(), lab.product(), "081234567890", 900
    if case.startswith("product"):
        code = lab.product(status=case.split()[1])
    elif case == "unknown product":
        code = "NO-SUCH-CODE"
    elif case == "unknown customer":
        cid = 2**40
    elif case == "empty target":
        target = ""
    elif case == "target too long":
        target = "9" * 65
    else:
        ttl = 10
    orders = SqlOrders(lab.orders.rpc, quote_ttl_seconds=ttl)
    with pytest.raises(error):
        orders.create_quote(cid, code, target)


# -- confirm_orders -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfirmCase:
    state: str
    method: str
    saldo: int
    outcome: str
    status: str
    charged: int = 0  # saldo taken by this confirmation


CONFIRM = [
    ConfirmCase("quoted", "saldo", 20_000, "paid", "paid", PRICE),
    ConfirmCase("confirmed", "saldo", 20_000, "paid", "paid", PRICE),
    ConfirmCase("confirmed_waiting", "saldo", 20_000, "paid", "paid", PRICE),  # saldo instead of the QRIS
    ConfirmCase("quoted", "saldo", PRICE - 1, "insufficient_saldo", "confirmed"),
    ConfirmCase("quoted", "qris", 20_000, "awaiting_qris", "confirmed"),
    ConfirmCase("confirmed", "qris", 0, "awaiting_qris", "confirmed"),
    ConfirmCase("confirmed_waiting", "qris", 0, "awaiting_payment", "confirmed"),
    ConfirmCase("paid", "saldo", 20_000, "already_paid", "paid"),
    ConfirmCase("processing", "qris", 20_000, "already_paid", "processing"),
    ConfirmCase("success", "saldo", 20_000, "already_paid", "success"),
    ConfirmCase("refunded", "saldo", 20_000, "already_paid", "refunded"),
    ConfirmCase("quoted_expired", "saldo", 20_000, "expired", "expired"),
    ConfirmCase("confirmed_stale", "saldo", 20_000, "expired", "expired"),
    ConfirmCase("expired", "qris", 20_000, "expired", "expired"),
    ConfirmCase("cancelled", "saldo", 20_000, "expired", "cancelled"),
]


@pytest.mark.parametrize("case", CONFIRM, ids=lambda c: f"{c.state}-{c.method}-{c.outcome}")
def test_confirm_orders(lab: Lab, case: ConfirmCase) -> None:
    cid, order = lab.make(case.state)
    if case.saldo:
        lab.credit(cid, case.saldo)
    before = lab.saldo(cid)

    result = lab.orders.confirm(cid, [order.ref], method=case.method)

    assert result.outcome == case.outcome
    assert [o.status for o in result.orders] == [case.status] == [lab.status(order.ref)]
    assert before - lab.saldo(cid) == case.charged == (result.total if case.outcome == "paid" else case.charged)
    assert result.saldo == lab.saldo(cid)
    if case.outcome == "awaiting_payment":
        assert result.payment is not None and result.payment.startswith("PY") and result.total == 0
    if case.outcome == "awaiting_qris":
        assert result.total == PRICE and result.orders[0].payment_method == "qris"


def test_confirm_orders_pays_a_ref_named_twice_once(lab: Lab) -> None:
    cid = lab.customer(saldo=50_000)
    order = lab.quote(cid)
    result = lab.orders.confirm(cid, [order.ref, order.ref], method="saldo")
    assert (result.outcome, result.total, len(result.orders), lab.saldo(cid)) == ("paid", PRICE, 1, 50_000 - PRICE)


def test_confirm_orders_pays_several_quotes_together_or_none(lab: Lab) -> None:
    cid = lab.customer(saldo=PRICE * 2 - 1)
    refs = [lab.quote(cid).ref, lab.quote(cid, target="085712345678").ref]
    assert lab.orders.confirm(cid, refs).outcome == "insufficient_saldo"
    assert [lab.status(r) for r in refs] == ["confirmed", "confirmed"] and lab.saldo(cid) == PRICE * 2 - 1
    lab.credit(cid, 1)
    assert lab.orders.confirm(cid, refs).outcome == "paid" and lab.saldo(cid) == 0


@pytest.mark.parametrize("case, error", [
    ("no refs", InvalidArgument),
    ("unknown method", InvalidArgument),
    ("unknown order", NotFound),
    ("another customer's order", NotFound),
    ("unknown customer", NotFound),
])
def test_confirm_orders_refuses(lab: Lab, case: str, error: type[Exception]) -> None:
    cid, order = lab.make("quoted")
    refs, method = [order.ref], "saldo"
    if case == "no refs":
        refs = []
    elif case == "unknown method":
        method = "cash"
    elif case == "unknown order":
        refs = ["BJ00000000"]
    elif case == "another customer's order":
        cid = lab.customer(saldo=50_000)
    else:
        cid = 2**40
    with pytest.raises(error):
        lab.orders.confirm(cid, refs, method=method)
    assert lab.status(order.ref) == "quoted"


# -- cancel_order ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("state, outcome, status", [
    ("quoted", "cancelled", "cancelled"),
    ("confirmed", "cancelled", "cancelled"),
    ("confirmed_waiting", "cancelled", "cancelled"),
    ("cancelled", "already_cancelled", "cancelled"),
    ("expired", "expired", "expired"),
    ("paid", "too_late", "paid"),
    ("processing", "too_late", "processing"),
    ("success", "too_late", "success"),
    ("refunded", "too_late", "refunded"),
])
def test_cancel_order(lab: Lab, state: str, outcome: str, status: str) -> None:
    cid, order = lab.make(state)
    before = lab.saldo(cid)
    result = lab.orders.cancel(cid, order.ref)
    assert (result.outcome, result.status, lab.status(order.ref)) == (outcome, status, status)
    assert lab.saldo(cid) == before


def test_cancel_order_refuses_another_customers_order(lab: Lab) -> None:
    _, order = lab.make("quoted")
    with pytest.raises(NotFound):
        lab.orders.cancel(lab.customer(), order.ref)
    assert lab.status(order.ref) == "quoted"


# -- create_payment and attach_deposit ------------------------------------------------------------------

def test_create_payment_for_orders_links_the_confirmed_ones(lab: Lab) -> None:
    cid, confirmed = lab.make("confirmed")
    quoted = lab.quote(cid, target="085712345678")  # not confirmed: not paid for by this checkout
    payment = lab.orders.create_payment(cid, "order", "qris", PRICE + FEE, FEE, "customer",
                                        [confirmed.ref, quoted.ref])
    assert (payment.status, payment.method, payment.kind, payment.orders) == ("pending", "QRIS", "order",
                                                                              (confirmed.ref,))
    assert payment.ref.startswith("PY") and payment.atlantic_id is None
    attached = lab.orders.attach_deposit(payment.ref, "DEP-1-" + payment.ref, qr_string="000201x", url=None,
                                         expires_at=None)
    assert (attached.atlantic_id, attached.qr_string) == ("DEP-1-" + payment.ref, "000201x")
    again = lab.orders.attach_deposit(payment.ref, "DEP-2-" + payment.ref, qr_string="000201y", url=None,
                                      expires_at=None)
    assert again.atlantic_id == "DEP-1-" + payment.ref  # the first Atlantic id sticks


def test_create_payment_for_a_deposit(lab: Lab) -> None:
    cid = lab.customer()
    payment = lab.orders.create_payment(cid, "deposit", "DANA", 50_000, 0, "seller")
    assert (payment.kind, payment.method, payment.fee_payer, payment.orders) == ("deposit", "DANA", "seller", ())


@pytest.mark.parametrize("case, error", [
    ("unknown kind", InvalidArgument),
    ("zero amount", InvalidArgument),
    ("negative fee", InvalidArgument),
    ("unknown customer", NotFound),
])
def test_create_payment_refuses(lab: Lab, case: str, error: type[Exception]) -> None:
    cid, kind, amount, fee = lab.customer(), "order", 10_000, 0
    if case == "unknown kind":
        kind = "gift"
    elif case == "zero amount":
        amount = 0
    elif case == "negative fee":
        fee = -1
    else:
        cid = 2**40
    with pytest.raises(error):
        lab.orders.create_payment(cid, kind, "QRIS", amount, fee, "customer")


def test_attach_deposit_refuses_an_unknown_payment(lab: Lab) -> None:
    with pytest.raises(NotFound):
        lab.orders.attach_deposit("PY00000000", "DEP-x", qr_string=None, url=None, expires_at=None)


# -- settle_payment -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SettleCase:
    name: str
    status: str             # what Atlantic says now
    outcome: str
    payment_status: str
    order_status: str
    saldo_change: int       # after the settlement, on a saldo of 0
    fee_payer: str = "customer"
    net: int | None = None
    order_before: str = "confirmed_waiting"


SETTLE = [
    # paid: credited amount - fee, the order paid from it: nothing left over
    SettleCase("success pays the order", "success", "paid", "paid", "paid", 0),
    # Atlantic's own net is what reaches saldo: a smaller fee than planned leaves the rest in saldo
    SettleCase("success with a smaller fee", "success", "paid", "paid", "paid", 100, net=PRICE + 100),
    # a net too small for the order: it waits confirmed, and the customer keeps all they paid
    SettleCase("success with a larger fee", "success", "paid", "paid", "confirmed", PRICE + FEE, net=PRICE - 100),
    # the seller carries the fee: the whole amount reaches saldo
    SettleCase("success, seller pays the fee", "success", "paid", "paid", "paid", FEE, fee_payer="seller"),
    # the order lapsed while the QRIS was paid: price and fee stay in saldo
    SettleCase("success after the order was cancelled", "success", "paid", "paid", "cancelled", PRICE + FEE,
               order_before="cancelled_waiting"),
    SettleCase("expired", "expired", "closed", "expired", "expired", 0),
    SettleCase("cancel", "cancel", "closed", "cancelled", "expired", 0),
    SettleCase("failed", "failed", "closed", "failed", "confirmed", 0),
    SettleCase("still pending", "pending", "pending", "pending", "confirmed", 0),
    SettleCase("processing (e-wallets)", "processing", "pending", "pending", "confirmed", 0),
]


@pytest.mark.parametrize("case", SETTLE, ids=lambda c: c.name.replace(" ", "-"))
def test_settle_payment(lab: Lab, case: SettleCase) -> None:
    cid, order = lab.make("confirmed")
    payment = lab.checkout(cid, [order.ref], fee_payer=case.fee_payer)
    if case.order_before == "cancelled_waiting":
        lab.orders.cancel(cid, order.ref)

    settled = lab.orders.settle_payment(payment.ref, case.status, net=case.net)

    assert (settled.outcome, settled.status, lab.status(order.ref)) == (case.outcome, case.payment_status,
                                                                        case.order_status)
    assert lab.saldo(cid) == case.saldo_change and settled.saldo == lab.saldo(cid)
    assert settled.paid == ((order.ref,) if case.order_status == "paid" else ())
    assert settled.stranded == ((order.ref,) if case.outcome == "paid" and case.order_status != "paid" else ())
    if case.status == "failed":  # the order may get another checkout
        assert lab.orders.find(ref=order.ref).payment_ref is None  # type: ignore[union-attr]
    if case.outcome == "paid":
        credited = {"customer": case.net or PRICE, "seller": PRICE + FEE}[case.fee_payer]
        assert settled.credited == credited and lab.ledger(cid)[0] == ("credit", credited)


def test_settle_payment_applies_a_status_once(lab: Lab) -> None:
    cid, order = lab.make("confirmed")
    payment = lab.checkout(cid, [order.ref])
    assert lab.orders.settle_payment(payment.ref, "success").outcome == "paid"
    ledger = lab.ledger(cid)
    for status in ("success", "expired", "failed"):
        again = lab.orders.settle_payment(payment.ref, status)
        assert (again.outcome, again.status, again.paid) == ("already", "paid", ())
    assert lab.ledger(cid) == ledger and lab.status(order.ref) == "paid"


def test_settle_payment_shares_the_fee_over_its_orders_and_refunds_a_lapsed_ones_share(lab: Lab) -> None:
    cid = lab.customer()
    refs = [lab.quote(cid).ref, lab.quote(cid, target="085712345678").ref]
    lab.orders.confirm(cid, refs, method="qris")
    payment = lab.checkout(cid, refs, amount=2 * PRICE + 301, fee=301)
    lab.orders.cancel(cid, refs[1])
    settled = lab.orders.settle_payment(payment.ref, "success")
    assert (settled.paid, settled.stranded) == ((refs[0],), (refs[1],))
    fees = dict(lab.db.execute("select ref, fee_paid from orders where ref = any(%s)", [refs]).fetchall())
    first, last = sorted(refs)  # shared by price in ref order; the last one takes the rounding
    assert (fees[first], fees[last]) == (150, 151)
    assert lab.saldo(cid) == PRICE + fees[refs[1]]  # the lapsed order's price and its share of the fee


def test_settle_payment_of_a_deposit_credits_saldo(lab: Lab) -> None:
    cid = lab.customer()
    payment = lab.checkout(cid, [], amount=50_000, fee=0, fee_payer="seller", kind="deposit")
    settled = lab.orders.settle_payment(payment.ref, "success")
    assert (settled.outcome, settled.credited, lab.saldo(cid)) == ("paid", 50_000, 50_000)


def test_settle_payment_refuses_an_unknown_payment(lab: Lab) -> None:
    with pytest.raises(NotFound):
        lab.orders.settle_payment("PY00000000", "success")


# -- start_processing, record_submission ----------------------------------------------------------------

@pytest.mark.parametrize("state, resubmit, outcome, status, attempts", [
    ("paid", False, "submit", "processing", 1),
    ("paid", True, "submit", "processing", 1),
    ("processing", True, "resubmit", "processing", 2),
    ("processing", False, "skip", "processing", 1),
    ("submitted", True, "skip", "processing", 1),
    ("success", True, "skip", "success", 1),
    ("refunded", True, "skip", "refunded", 1),
    ("confirmed", False, "skip", "confirmed", 0),
    ("quoted", True, "skip", "quoted", 0),
])
def test_start_processing(lab: Lab, state: str, resubmit: bool, outcome: str, status: str, attempts: int) -> None:
    _, order = lab.make(state)
    result = lab.orders.start_processing(order.ref, resubmit=resubmit)
    assert (result.outcome, result.status, result.submit_attempts) == (outcome, status, attempts)
    assert lab.status(order.ref) == status


def test_start_processing_refuses_an_unknown_order(lab: Lab) -> None:
    with pytest.raises(NotFound):
        lab.orders.start_processing("BJ00000000")


@pytest.mark.parametrize("state, recorded", [
    ("processing", True), ("submitted", True), ("success", True), ("refunded", True),
    ("paid", False), ("confirmed", False), ("quoted", False), ("cancelled", False),
])
def test_record_submission(lab: Lab, state: str, recorded: bool) -> None:
    _, order = lab.make(state)
    new_id = f"TRX-new-{uuid.uuid4().hex[:8]}"
    if not recorded:
        with pytest.raises(NotFound):
            lab.orders.record_submission(order.ref, new_id, "processing")
        assert lab.orders.find(ref=order.ref).atlantic_id is None  # type: ignore[union-attr]
        return
    result = lab.orders.record_submission(order.ref, new_id, "pending")
    assert result.atlantic_id == (order.atlantic_id or new_id)  # the first id Atlantic gave sticks
    assert result.supplier_status == "pending" and result.status == order.status
    assert lab.orders.record_submission(order.ref, None, None).supplier_status == "pending"


# -- finish_order ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FinishCase:
    state: str
    status: str       # Atlantic's final (or not) answer
    outcome: str
    after: str
    refund: int = 0   # saldo given back by this call
    flipped_to: str | None = None


FINISH = [
    FinishCase("submitted", "success", "success", "success"),
    FinishCase("processing", "success", "success", "success"),  # answered before its id was recorded
    FinishCase("submitted", "failed", "refunded", "refunded", PRICE),
    FinishCase("submitted", "processing", "pending", "processing"),
    FinishCase("submitted", "pending", "pending", "processing"),
    FinishCase("paid", "success", "pending", "paid"),            # not submitted yet: nothing to finish
    FinishCase("success", "success", "already", "success"),
    FinishCase("refunded", "failed", "already", "refunded"),
    FinishCase("success", "failed", "conflict", "success", flipped_to="failed"),
    FinishCase("refunded", "success", "conflict", "refunded", flipped_to="success"),
    FinishCase("success", "processing", "pending", "success"),
]


@pytest.mark.parametrize("case", FINISH, ids=lambda c: f"{c.state}-{c.status}-{c.outcome}")
def test_finish_order(lab: Lab, case: FinishCase) -> None:
    cid, order = lab.make(case.state)
    before = lab.saldo(cid)

    result = lab.orders.finish(order.ref, case.status, sn="SN-FINISH", reason="Nomor salah")

    assert (result.outcome, result.status, lab.status(order.ref)) == (case.outcome, case.after, case.after)
    assert lab.saldo(cid) - before == case.refund
    assert result.flipped_to == case.flipped_to
    if case.outcome == "success":
        assert result.sn == "SN-FINISH"
    if case.outcome == "refunded":
        assert result.failure_reason == "Nomor salah" and ("refund", PRICE) in lab.ledger(cid)


def test_finish_order_records_a_reversal_once(lab: Lab) -> None:
    cid, order = lab.make("success")
    ledger = lab.ledger(cid)
    assert lab.orders.finish(order.ref, "failed").outcome == "conflict"
    assert lab.orders.finish(order.ref, "failed").outcome == "conflict_known"
    assert lab.ledger(cid) == ledger and lab.status(order.ref) == "success"


def test_finish_order_refunds_the_qris_fee_with_the_price(lab: Lab) -> None:
    cid, order = lab.make("confirmed")
    payment = lab.checkout(cid, [order.ref])
    lab.orders.settle_payment(payment.ref, "success")
    lab.orders.start_processing(order.ref)
    late_id = f"TRX-late-{uuid.uuid4().hex[:8]}"
    result = lab.orders.finish(order.ref, "failed", atlantic_id=late_id)
    assert (result.outcome, result.atlantic_id, result.fee_paid) == ("refunded", late_id, FEE)
    assert lab.saldo(cid) == PRICE + FEE and ("fee_refund", FEE) in lab.ledger(cid)
    assert lab.orders.finish(order.ref, "failed").outcome == "already" and lab.saldo(cid) == PRICE + FEE


def test_finish_order_refuses_an_unknown_order(lab: Lab) -> None:
    with pytest.raises(NotFound):
        lab.orders.finish("BJ00000000", "success")


# -- expire_quotes --------------------------------------------------------------------------------------

@pytest.mark.parametrize("state, after", [
    ("quoted_expired", "expired"),
    ("confirmed_stale", "expired"),
    ("quoted", "quoted"),
    ("confirmed", "confirmed"),
    ("paid", "paid"),
])
def test_expire_quotes(lab: Lab, state: str, after: str) -> None:
    _, order = lab.make(state)
    lab.orders.expire_quotes()
    assert lab.status(order.ref) == after


def test_expire_quotes_leaves_an_order_whose_checkout_waits(lab: Lab) -> None:
    _, order = lab.make("confirmed_waiting")
    lab.age("orders", order.ref, quote_expires_at="1 hour")
    assert lab.orders.expire_quotes() >= 0 and lab.status(order.ref) == "confirmed"


# -- the reconciler's claims ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ClaimCase:
    name: str
    state: str
    claim: Callable[[SqlOrders], list[Any]]
    aged: dict[str, str]     # timestamps moved back before claiming
    due: bool
    leased: bool = True      # claimed again at once: never (a lease, or claimed once for good)


def _payment_claim(o: SqlOrders) -> list[Any]:
    return o.claim_payments(min_age=30, lease=60)


CLAIMS = [
    ClaimCase("a paid order is submitted", "paid", lambda o: o.claim_submissions(min_age=30), {}, True),
    ClaimCase("an order without Atlantic id is resubmitted", "processing", lambda o: o.claim_submissions(min_age=30),
              {"last_submit_at": "1 minute"}, True),
    ClaimCase("a fresh submission is left alone", "processing", lambda o: o.claim_submissions(min_age=30), {}, False),
    ClaimCase("a submitted order is not resubmitted", "submitted", lambda o: o.claim_submissions(min_age=30),
              {"last_submit_at": "1 minute"}, False),
    ClaimCase("a submitted order is checked", "submitted", lambda o: o.claim_checks(min_age=30),
              {"processing_at": "1 minute"}, True),
    ClaimCase("a fresh submission is not checked yet", "submitted", lambda o: o.claim_checks(min_age=30), {}, False),
    ClaimCase("an order without Atlantic id is not checked", "processing", lambda o: o.claim_checks(min_age=30),
              {"processing_at": "1 minute"}, False),
    ClaimCase("a long processing gets a notice", "submitted", lambda o: o.claim_pending_notices(min_age=30),
              {"processing_at": "1 minute"}, True),
    ClaimCase("a short processing gets none", "submitted", lambda o: o.claim_pending_notices(min_age=30), {}, False),
    ClaimCase("an unresolved order is escalated", "processing", lambda o: o.claim_escalations(min_age=30),
              {"processing_at": "1 minute"}, True),
    ClaimCase("a finished order is escalated never", "success", lambda o: o.claim_escalations(min_age=30),
              {"processing_at": "1 minute"}, False),
    ClaimCase("a success is re-checked once", "success", lambda o: o.claim_rechecks(min_age=30, window=3600),
              {"finished_at": "1 minute"}, True),
    ClaimCase("a refund is re-checked once", "refunded", lambda o: o.claim_rechecks(min_age=30, window=3600),
              {"finished_at": "1 minute"}, True),
    ClaimCase("an old success is past the window", "success", lambda o: o.claim_rechecks(min_age=30, window=3600),
              {"finished_at": "2 hours"}, False),
    ClaimCase("a pending checkout is polled", "confirmed_waiting", _payment_claim, {"created_at": "1 minute"}, True),
    ClaimCase("a fresh checkout is not polled yet", "confirmed_waiting", _payment_claim, {}, False),
]


@pytest.mark.parametrize("case", CLAIMS, ids=lambda c: c.name.replace(" ", "-"))
def test_claims(lab: Lab, case: ClaimCase) -> None:
    _, order = lab.make(case.state)
    key = order.ref
    if case.claim is _payment_claim:
        key = order.payment_ref  # type: ignore[assignment]
        lab.age("payments", key, **case.aged)
    elif case.aged:
        lab.age("orders", key, **case.aged)

    first = refs_of(case.claim(lab.orders))
    second = refs_of(case.claim(lab.orders))

    assert (key in first) is case.due
    assert key not in second


def test_claims_of_a_lease_come_back_when_it_ends(lab: Lab) -> None:
    _, order = lab.make("submitted")
    lab.age("orders", order.ref, processing_at="1 minute")
    assert order.ref in refs_of(lab.orders.claim_checks(min_age=30, lease=60))
    assert order.ref not in refs_of(lab.orders.claim_checks(min_age=30, lease=60))
    lab.age("orders", order.ref, next_check_at="1 second")
    assert order.ref in refs_of(lab.orders.claim_checks(min_age=30, lease=60))


def test_claim_events_takes_unverified_callbacks_under_a_lease(lab: Lab) -> None:
    event = lab.store.record_event("atlantic", f"unverified:test:{uuid.uuid4()}", {"body": {"event": "x"}})
    lab.db.execute("update webhook_events set received_at = now() - interval '1 minute' where id = %s", [event.id])
    fresh = lab.store.record_event("atlantic", f"unverified:test:{uuid.uuid4()}", {"body": {"event": "y"}})

    first = {row["id"]: row for row in lab.orders.claim_events(min_age=30, lease=60)}
    assert event.id in first and fresh.id not in first
    assert first[event.id]["payload"] == {"body": {"event": "x"}}
    assert event.id not in {row["id"] for row in lab.orders.claim_events(min_age=30, lease=60)}
    lab.store.mark_event_applied(event.id)
    lab.db.execute("update webhook_events set next_check_at = now() - interval '1 second' where id = %s", [event.id])
    assert event.id not in {row["id"] for row in lab.orders.claim_events(min_age=30, lease=60)}  # applied: done


def test_claim_job_runs_once_per_period(lab: Lab) -> None:
    name = f"job-{uuid.uuid4().hex[:6]}"
    assert lab.orders.claim_job(name, 3600) is True
    assert lab.orders.claim_job(name, 3600) is False
    lab.db.execute("update jobs set last_run_at = now() - interval '2 hours' where name = %s", [name])
    assert lab.orders.claim_job(name, 3600) is True
