"""R1 bursts: several instances answering one customer's burst, and many customers at once, every
message delivered twice — over both transports. Every message is answered once and in order, the
server sees no deadlock, and no lease is left held."""

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

    def __init__(self, url: str, redis_url: str, transport: str, count: int, postgrest_for: Any) -> None:
        self.transport = transport
        self.sandbox = Sandbox(tick_seconds=3600).start()
        settings = Settings(_env_file=None, database_url=url, redis_url=redis_url, atlantic_read_retries=0)
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
