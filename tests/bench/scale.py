"""The shop at scale: catalog sync and search at 10k / 50k / 100k products, and a turn in a
conversation 50,000 messages long (``python -m tests.bench scale``; ``SCALE_SIZES=10000,50000`` to
pick sizes).

The catalog is the sandbox's, multiplied into regional variants the way Atlantic lists regional
data packages, and served by the sandbox over HTTP, so a sync is measured end to end: fetch,
parse, normalize, one SQL call. Search runs the 41 labelled queries of tests/data/search_queries.json
through the parser and one SQL call each.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import uuid
from pathlib import Path

import psycopg

from shared.adapters.atlantic import AtlanticClient
from shared.adapters.catalog_store import SqlCatalog
from shared.adapters.postgres import PostgresRpc
from shared.adapters.sandbox import Sandbox, SandboxEngine
from shared.adapters.store import SqlStore
from shared.domain.turns import InboundMessage, OutboundMessage
from shared.services.catalog import search, sync_catalog
from tests.bench.catalog import generated_catalog
from tests.bench.common import bench_database, ms, p95

SIZES = tuple(int(s) for s in os.environ.get("SCALE_SIZES", "10000,50000,100000").split(","))
SYNC_ROUNDS = 3
SEARCH_ROUNDS = 5
QUERIES = [c["q"] for c in json.loads((Path(__file__).parents[1] / "data" / "search_queries.json").read_text())]


def p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def sized_sandbox(size: int) -> SandboxEngine:
    engine = SandboxEngine()
    engine.products = generated_catalog(size)
    return engine


def catalog_at(size: int) -> None:
    with bench_database() as url, Sandbox(engine=sized_sandbox(size), tick_seconds=3600) as sandbox:
        provider = AtlanticClient(sandbox.url, "sandbox", list_timeout=300)
        catalog = SqlCatalog(PostgresRpc(url))
        first = ms(lambda: sync_catalog(provider, catalog))
        changed, unchanged = [], []
        for _ in range(SYNC_ROUNDS):
            for row in sandbox.engine.products.values():  # every cost moves: every row is rewritten
                row["price"] = str(int(row["price"]) + 25)
            changed.append(ms(lambda: sync_catalog(provider, catalog)))
            unchanged.append(ms(lambda: sync_catalog(provider, catalog)))
        fetch = statistics.median(ms(lambda: provider.price_list("prabayar")) for _ in range(SYNC_ROUNDS))
        print(f"  sync {size:>7,}: all new {first:6.0f} ms; median of {SYNC_ROUNDS}: all changed "
              f"{statistics.median(changed):6.0f} ms, unchanged {statistics.median(unchanged):6.0f} ms "
              f"(fetching the list over HTTP {fetch:.0f} ms)")

        rng = random.Random(11)
        p50s, p95s, p99s, worst = [], [], [], {}
        for _ in range(SEARCH_ROUNDS):
            order = QUERIES * 10
            rng.shuffle(order)
            samples = []
            for q in order:
                t = ms(lambda q=q: search(catalog, q))
                samples.append(t)
                worst[q] = max(worst.get(q, 0.0), t)
            p50s.append(statistics.median(samples))
            p95s.append(p95(samples))
            p99s.append(p99(samples))
        slowest = sorted(worst.items(), key=lambda kv: -kv[1])[:3]
        print(f"  search {size:>5,}: median of {SEARCH_ROUNDS} rounds: p50 {statistics.median(p50s):.2f} ms, "
              f"p95 {statistics.median(p95s):.2f} ms, p99 {statistics.median(p99s):.2f} ms; slowest: "
              + ", ".join(f"{q!r} {t:.1f}" for q, t in slowest))
        catalog.rpc.close()
        provider.close()


def long_conversation(messages: int = 50_000) -> None:
    """begin_turn in a new conversation and in one ``messages`` long, measured side by side: the
    rounds alternate between the two, so both see the same machine."""
    with bench_database() as url:
        store = SqlStore(PostgresRpc(url))
        short_wa, long_wa = ("62813" + str(uuid.uuid4().int)[:8] for _ in range(2))

        def begin_only(wa_id: str) -> float:
            start = None

            def run() -> None:
                nonlocal start
                start = store.begin_turn(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, text="x"))

            took = ms(run)
            store.end_turn(start.conversation_id, start.lease.token, {"n": 1}, [OutboundMessage("Siap kak")])
            return took

        for wa_id in (short_wa, long_wa):
            begin_only(wa_id)
        with psycopg.connect(url, autocommit=True) as db:
            conv = db.execute("select c.id from conversations c join customers u on u.id = c.customer_id"
                              " where u.wa_id = %s", [long_wa]).fetchone()[0]
            db.execute("insert into messages (conversation_id, direction, kind, body, handled_at, created_at, tokens)"
                       " select %s, case when g %% 2 = 0 then 'in' else 'out' end, 'text', 'pesan ' || g, now(),"
                       " now() - make_interval(mins => 10 * (%s - g)), case when g %% 2 = 1 then 40 end"
                       " from generate_series(1, %s) g", [conv, messages, messages])
            db.execute("vacuum analyze messages")
        short, long = [], []
        for _ in range(5):
            short.append(statistics.median(begin_only(short_wa) for _ in range(50)))
            long.append(statistics.median(begin_only(long_wa) for _ in range(50)))
        print(f"  begin_turn: median {statistics.median(short):.2f} ms in a new conversation, "
              f"{statistics.median(long):.2f} ms after {messages:,} messages, one every 10 minutes "
              f"(alternating rounds, median of 5 x 50; ratio {statistics.median(long) / statistics.median(short):.2f})")
        store.rpc.close()


def main() -> None:
    print("scale (medians of repeated runs)")
    for size in SIZES:
        catalog_at(size)
    long_conversation()
