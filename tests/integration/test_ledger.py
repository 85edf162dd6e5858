"""post_ledger: atomic, idempotent on the caller's key, never overdrawn; saldo = Σ ledger.

Runs against real Postgres over both transports; the property test drives a hypothesis-generated
mix of credits, debits and refunds from several threads at once.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.errors import (
    IdempotencyConflict,
    InsufficientSaldo,
    InvalidArgument,
    NotFound,
    RefundExceedsDebit,
)
from tests.helpers import inbound


def new_customer(store) -> int:  # type: ignore[no-untyped-def]
    return store.begin_turn(inbound()).customer.id


def new_order(db, customer_id: int) -> int:  # type: ignore[no-untyped-def]
    """An order row to hang debits and refunds on (orders get their own functions later)."""
    ref = f"T{uuid.uuid4().hex[:12].upper()}"
    return db.execute(
        "insert into orders (ref, customer_id, product_code, product_name, target, price, cost)"
        " values (%s, %s, 'S10', 'Telkomsel 10.000', '081234567890', 10500, 10100) returning id",
        [ref, customer_id],
    ).fetchone()[0]


def check_invariants(db, customer_id: int) -> int:  # type: ignore[no-untyped-def]
    saldo, total, last, negative = db.execute(
        """select c.saldo,
                  coalesce((select sum(amount) from ledger where customer_id = c.id), 0),
                  coalesce((select balance_after from ledger where customer_id = c.id order by id desc limit 1), 0),
                  (select count(*) from ledger where customer_id = c.id and balance_after < 0)
             from customers c where c.id = %s""",
        [customer_id],
    ).fetchone()
    assert saldo >= 0
    assert saldo == total == last
    assert negative == 0
    return saldo


def test_credit_then_debit_moves_saldo(store, db) -> None:
    cid = new_customer(store)
    credit = store.post_ledger(cid, "credit", 50_000, f"dep-{uuid.uuid4()}")
    debit = store.post_ledger(cid, "debit", 10_500, f"ord-{uuid.uuid4()}")

    assert (credit.amount, credit.saldo, credit.replayed) == (50_000, 50_000, False)
    assert (debit.amount, debit.saldo, debit.balance_after) == (-10_500, 39_500, 39_500)
    assert check_invariants(db, cid) == 39_500


def test_replayed_posting_with_the_same_key_changes_nothing(store, db) -> None:
    cid = new_customer(store)
    key = f"dep-{uuid.uuid4()}"
    first = store.post_ledger(cid, "credit", 20_000, key)
    again = store.post_ledger(cid, "credit", 20_000, key)

    assert again.replayed and again.id == first.id and again.saldo == 20_000
    assert db.execute("select count(*) from ledger where idem_key = %s", [key]).fetchone()[0] == 1
    with pytest.raises(IdempotencyConflict):
        store.post_ledger(cid, "credit", 25_000, key)  # same key, different posting
    assert check_invariants(db, cid) == 20_000


def test_overdraft_is_refused_with_the_same_exception_on_both_transports(store, db) -> None:
    cid = new_customer(store)
    store.post_ledger(cid, "credit", 5_000, f"dep-{uuid.uuid4()}")

    with pytest.raises(InsufficientSaldo) as refused:
        store.post_ledger(cid, "debit", 10_000, f"ord-{uuid.uuid4()}")

    assert refused.value.detail == {"saldo": 5_000, "needed": 10_000}
    assert check_invariants(db, cid) == 5_000


def test_refund_only_returns_what_the_order_took(store, db) -> None:
    cid = new_customer(store)
    order = new_order(db, cid)
    store.post_ledger(cid, "credit", 30_000, f"dep-{uuid.uuid4()}")
    store.post_ledger(cid, "debit", 10_500, f"pay-{order}", order_id=order)

    with pytest.raises(RefundExceedsDebit):
        store.post_ledger(cid, "refund", 20_000, f"refund-{order}-x", order_id=order)
    refund = store.post_ledger(cid, "refund", 10_500, f"refund-{order}", order_id=order)

    assert refund.saldo == 30_000
    with pytest.raises(RefundExceedsDebit):
        store.post_ledger(cid, "refund", 1, f"refund-{order}-again", order_id=order)
    with pytest.raises(InvalidArgument):
        store.post_ledger(cid, "refund", 100, f"refund-none-{uuid.uuid4()}")  # refunds name their order
    assert check_invariants(db, cid) == 30_000


def test_bad_postings_are_refused(store) -> None:
    cid = new_customer(store)
    with pytest.raises(InvalidArgument):
        store.post_ledger(cid, "credit", 0, f"k-{uuid.uuid4()}")
    with pytest.raises(InvalidArgument):
        store.post_ledger(cid, "gift", 100, f"k-{uuid.uuid4()}")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        store.post_ledger(10**12, "credit", 100, f"k-{uuid.uuid4()}")


def test_saldo_cannot_change_without_a_ledger_row(db, store) -> None:
    cid = new_customer(store)
    with pytest.raises(Exception) as raised:
        db.execute("update customers set saldo = 1000000 where id = %s", [cid])
    assert getattr(raised.value, "sqlstate", None) == "BJ009"
    assert check_invariants(db, cid) == 0


def test_concurrent_debits_never_overdraw(store, db) -> None:
    cid = new_customer(store)
    store.post_ledger(cid, "credit", 100_000, f"dep-{uuid.uuid4()}")

    def debit(i: int) -> str:
        try:
            store.post_ledger(cid, "debit", 7_000, f"ord-{cid}-{i}")
            return "ok"
        except InsufficientSaldo:
            return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(debit, range(20)))

    assert results.count("ok") == 14 and results.count("refused") == 6
    assert check_invariants(db, cid) == 100_000 - 14 * 7_000


# One operation of the property test: (kind, amount, key slot, order slot). Key slots are few, so
# the same key comes up again (a replay, or a conflict when the posting differs).
operation = st.tuples(
    st.sampled_from(["credit", "debit", "debit", "refund"]),
    st.integers(min_value=1, max_value=60_000),
    st.integers(min_value=0, max_value=11),
    st.integers(min_value=0, max_value=2),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=24))
def test_any_concurrent_mix_keeps_saldo_equal_to_the_ledger(store, db, ops) -> None:  # type: ignore[no-untyped-def]
    cid = new_customer(store)
    orders = [new_order(db, cid) for _ in range(3)]
    run = uuid.uuid4().hex[:8]

    def post(op):  # type: ignore[no-untyped-def]
        kind, amount, key_slot, order_slot = op
        order_id = orders[order_slot] if kind != "credit" else None
        key = f"{run}-{key_slot}"
        try:
            return store.post_ledger(cid, kind, amount, key, order_id=order_id)
        except (InsufficientSaldo, RefundExceedsDebit, IdempotencyConflict) as refusal:
            return refusal

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(post, ops))

    saldo = check_invariants(db, cid)
    rows = db.execute("select idem_key, kind, amount, order_id from ledger where customer_id = %s", [cid]).fetchall()
    keys = [r[0] for r in rows]
    assert len(keys) == len(set(keys))  # every key posted at most once
    for (key, kind, amount, order_id) in rows:
        assert any(
            f"{run}-{op[2]}" == key and op[0] == kind and abs(amount) == op[1] for op in ops
        )
    # per order, refunds never exceed debits
    for order_id in orders:
        net = db.execute("select coalesce(sum(amount), 0) from ledger where order_id = %s", [order_id]).fetchone()[0]
        assert net <= 0
    postings = [r for r in results if not isinstance(r, Exception)]
    assert {p.id for p in postings} == {
        db.execute("select id from ledger where idem_key = %s", [k]).fetchone()[0] for k in keys
    }
    assert saldo == sum(r[2] for r in rows)
