"""R1 bursts: several instances answering one customer's burst, and many customers at once, every
message delivered twice — over both transports. Every message is answered once and in order, the
server sees no deadlock, and no lease is left held. A burst is one question to the rate limit:
RATE_LIMIT_PER_MINUTE counts the turns that answer it, not its messages."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import psycopg
import pytest

from shared import bootstrap
from shared.adapters.atlantic import AtlanticClient
from shared.adapters.sandbox import Sandbox
from shared.config import Settings
from shared.domain.turns import InboundMessage
from tests.dialogs import Collect
from tests.helpers import new_wa_id
from tests.reliability.conftest import deadlocks, size

TEXTS = ["halo kak", "mau pulsa", "10rb", "cek saldo", "paket data tsel", "2", "makasih", "ada token listrik?",
         "batal", "menu"]


class Instances:
    """``count`` app instances (each its own pool or PostgREST client), like serverless instances."""

    def __init__(self, url: str, redis_url: str, transport: str, count: int, postgrest_for: Any,
                 **overrides: Any) -> None:
        self.transport = transport
        self.sandbox = Sandbox(tick_seconds=3600).start()
        settings = Settings(_env_file=None, database_url=url, redis_url=redis_url, atlantic_read_retries=0,
                            **overrides)
        self.apps = []
        for _ in range(count):
            rpc = None
            if transport == "supabase":
                from shared.adapters.supabase import SupabaseRpc

                api = postgrest_for(url)
                rpc = SupabaseRpc(api.url, api.service_key, timeout=30)
            supplier = AtlanticClient(self.sandbox.url, "sandbox", read_retries=0)
            self.apps.append(bootstrap.App(settings, rpc=rpc, supplier=supplier, messenger=Collect()))
        self.messengers = [a.messenger for a in self.apps]
        self.pipelines = [a.pipeline for a in self.apps]
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()

    def deliver(self, instance: int, msg: InboundMessage) -> None:
        try:
            self.pipelines[instance % len(self.pipelines)].handle(msg)
        except BaseException as exc:  # noqa: BLE001 - the assertion below lists them
            with self._lock:
                self.errors.append(exc)

    def close(self) -> None:
        for app in self.apps:
            app.close()  # flushes the buffered send results
        self.sandbox.stop()


@pytest.fixture(params=["postgres", "supabase"])
def instances(request: pytest.FixtureRequest, shop: str, redis_url: str, postgrest_for: Any) -> Iterator[Instances]:
    group = Instances(shop, redis_url, request.param, 3, postgrest_for)
    yield group
    group.close()


LIMIT = 3  # RATE_LIMIT_PER_MINUTE of the rate-limit tests: small, so a burst's messages would pass it
SHORT = ["p", "p", "kak", "p", "halo", "kak?", "p", "min", "p", "kak", "permisi", "p"]


@pytest.fixture(params=["postgres", "supabase"])
def limited(request: pytest.FixtureRequest, shop: str, redis_url: str, postgrest_for: Any) -> Iterator[Instances]:
    group = Instances(shop, redis_url, request.param, 3, postgrest_for, rate_limit_per_minute=LIMIT)
    yield group
    group.close()


def short(wa_id: str, n: int) -> InboundMessage:
    return InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, name="Burst", text=SHORT[n % len(SHORT)])


def slow_downs(texts: list[str]) -> int:
    return sum("Pelan-pelan" in t for t in texts)


def replies_to(db: psycopg.Connection, wa_id: str) -> list[str]:
    """What the bot said to ``wa_id``, oldest first."""
    return [r[0] for r in db.execute(
        "select m.body from messages m join conversations v on v.id = m.conversation_id"
        " join customers c on c.id = v.customer_id where c.wa_id = %s and m.direction = 'out' order by m.id",
        [wa_id]).fetchall()]


def turns_started(db: psycopg.Connection, wa_id: str) -> int:
    return int(db.execute(
        "select count(*) from messages m join conversations v on v.id = m.conversation_id"
        " join customers c on c.id = v.customer_id where c.wa_id = %s and m.direction = 'in' and m.started_turn",
        [wa_id]).fetchone()[0])


def test_a_burst_while_a_turn_runs_is_one_turn_of_the_rate_limit(limited: Instances, shop: str) -> None:
    """20 short messages ("p", "p", "kak", ...) arrive on three instances, each twice, while instance
    0 works on the customer's first "p": all are answered, by that turn, with no "pelan-pelan" —
    though they are seven times RATE_LIMIT_PER_MINUTE. Then the customer's separate questions are
    answered up to the limit, and the one past it is slowed down once."""
    wa_id = new_wa_id()
    app = limited.apps[0]
    first = short(wa_id, 0)
    running = app.store.begin_turn(first)  # instance 0's turn, still working
    assert running.status == "leased" and running.usage["turns_last_minute"] == 1
    started = time.monotonic()

    burst = [short(wa_id, n) for n in range(1, 1 + size(20, 200))]
    deliveries = [(i, m) for i, m in enumerate(burst)] + [(i + 1, m) for i, m in enumerate(burst)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(lambda d: limited.deliver(*d), deliveries))
    assert limited.errors == []

    answered = app.pipeline.resume(running, started)  # the turn ends: the burst was queued into it
    assert [r.facts["action"] for r in answered if r.facts["action"] == "throttled"] == []
    with psycopg.connect(shop, autocommit=True) as db:
        assert db.execute("select count(*) from messages where direction = 'in' and handled_at is null"
                          " and wamid = any(%s)", [[m.wamid for m in [first, *burst]]]).fetchone()[0] == 0
        assert turns_started(db, wa_id) == 1
        said = replies_to(db, wa_id)
        assert said and slow_downs(said) == 0

    # separate questions, each its own turn: two more are within the limit, the next is slowed down
    # once (the only "pelan-pelan"), and after that the bot stays quiet
    pipeline = limited.pipelines[1]
    within = [pipeline.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, text=text))
              for text in ("mau pulsa", "cek saldo")]
    assert all(r and r[0].facts["action"] != "throttled" and r[0].messages for r in within)
    past = [pipeline.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, text=text))
            for text in ("paket data tsel", "halo??", "menu")]
    assert [r[0].facts["action"] for r in past] == ["throttled"] * 3
    assert [len(r[0].messages) for r in past] == [1, 0, 0]
    with psycopg.connect(shop, autocommit=True) as db:
        assert turns_started(db, wa_id) == LIMIT + 3
        assert slow_downs(replies_to(db, wa_id)) == 1


def test_customers_within_the_limit_are_answered_and_the_rest_slowed_down_once(limited: Instances,
                                                                               shop: str) -> None:
    """Many customers' bursts of short messages all at once on 12 threads, every message delivered
    twice to two instances, while other customers send one separate question after another. However
    the bursts split into turns: a customer whose messages started at most RATE_LIMIT_PER_MINUTE
    turns is answered with no "pelan-pelan"; one past it gets exactly one."""
    before = deadlocks(shop)
    bursts = {new_wa_id(): [] for _ in range(size(20, 200))}
    for wa_id, msgs in bursts.items():
        msgs.extend(short(wa_id, n) for n in range(size(6, 12)))
    floods = [new_wa_id() for _ in range(size(2, 20))]

    deliveries = []
    for j, msgs in enumerate(bursts.values()):
        deliveries += [(j + k, m) for k, m in enumerate(msgs)] + [(j + k + 1, m) for k, m in enumerate(msgs)]

    def flood(j: int) -> None:  # one question after another, each answered before the next: turns
        for n in range(LIMIT + 2):
            limited.deliver(j + n, message(floods[j], n))

    with ThreadPoolExecutor(max_workers=12) as pool:
        jobs = [pool.submit(flood, j) for j in range(len(floods))]
        list(pool.map(lambda d: limited.deliver(*d), deliveries))
        for job in jobs:
            job.result()
    assert limited.errors == []
    assert deadlocks(shop) - before == 0

    within = 0
    with psycopg.connect(shop, autocommit=True) as db:
        wamids = [m.wamid for msgs in bursts.values() for m in msgs]
        assert db.execute("select count(*) from messages where direction = 'in' and wamid = any(%s)"
                          " and handled_at is not null", [wamids]).fetchone()[0] == len(wamids)
        assert db.execute("select count(*) from conversations where lease_token is not null").fetchone()[0] == 0
        for wa_id in bursts:
            turns, said = turns_started(db, wa_id), replies_to(db, wa_id)
            assert said, f"{wa_id} got no answer"
            if turns <= LIMIT:
                within += 1
                assert slow_downs(said) == 0, f"{wa_id}: {turns} turn(s), slowed down: {said}"
            else:
                assert slow_downs(said) == 1, f"{wa_id}: {turns} turns, {said}"
        for wa_id in floods:
            assert turns_started(db, wa_id) == LIMIT + 2
            said = replies_to(db, wa_id)
            assert slow_downs(said) == 1 and "Pelan-pelan" in said[-1], said
    print(f"\nbursts under RATE_LIMIT_PER_MINUTE={LIMIT} ({limited.transport}): {within} of {len(bursts)} "
          f"customers' bursts within the limit; {len(floods)} floods slowed down once each")
    assert within > 0


def message(wa_id: str, n: int) -> InboundMessage:
    return InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, name="Burst",
                          text=TEXTS[n % len(TEXTS)])


def test_bursts_are_answered_once_in_order_without_deadlocks(instances: Instances, shop: str) -> None:
    before = deadlocks(shop)
    one = new_wa_id()
    per_instance = size(25, 100)
    burst = [message(one, n) for n in range(3 * per_instance)]
    crowd = {new_wa_id(): [] for _ in range(size(50, 400))}
    for wa_id, msgs in crowd.items():
        msgs.extend(message(wa_id, n) for n in range(5))

    # every message twice, to two different instances; one customer's burst first, the crowd meanwhile
    deliveries = [(i, m) for i, m in enumerate(burst)] + [(i + 1, m) for i, m in enumerate(burst)]
    for j, msgs in enumerate(crowd.values()):
        deliveries += [(j + k, m) for k, m in enumerate(msgs)] + [(j + k + 2, m) for k, m in enumerate(msgs)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(lambda d: instances.deliver(*d), deliveries))
    elapsed = time.perf_counter() - started

    found = deadlocks(shop) - before
    print(f"\nbursts ({instances.transport}): {len(deliveries)} deliveries of {len(deliveries) // 2} messages "
          f"in {elapsed:.1f} s, {len(instances.errors)} errors, {found} deadlocks")
    assert instances.errors == []
    assert found == 0
    with psycopg.connect(shop, autocommit=True) as db:
        assert db.execute("select count(*) from conversations where lease_token is not null").fetchone()[0] == 0
        wamids = [m.wamid for m in itertools.chain(burst, *crowd.values())]
        rows = db.execute(
            "select m.wamid, m.conversation_id, m.id, m.handled_at, m.attempts, m.payload ? 'dropped'"
            " from messages m where m.direction = 'in' and m.wamid = any(%s) order by m.conversation_id, m.id",
            [wamids]).fetchall()
        assert len(rows) == len(wamids)  # each message stored once, though delivered twice
        assert all(handled is not None and attempts == 1 and not dropped
                   for _, _, _, handled, attempts, dropped in rows)  # answered, by exactly one turn
        for _, group in itertools.groupby(rows, key=lambda r: r[1]):  # in order per customer
            handled = [r[3] for r in group]
            assert handled == sorted(handled)
        turns = db.execute("select count(distinct turn_token) from messages where direction = 'in'"
                           " and wamid = any(%s)", [wamids]).fetchone()[0]
        replies = db.execute("select count(*) from outbox").fetchone()[0]
        assert replies >= turns and replies == sum(len(m.sent) for m in instances.messengers)
        print(f"bursts ({instances.transport}): {turns} turns answered {len(rows)} messages with {replies} replies")
    for app in instances.apps:
        app.flush()
    with psycopg.connect(shop, autocommit=True) as db:
        assert db.execute("select count(*) from outbox where status <> 'sent'").fetchone()[0] == 0
