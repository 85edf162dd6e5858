"""What a turn costs in the data layer, and what imports cost at cold start."""

from __future__ import annotations

import statistics
import subprocess
import sys
import uuid
from typing import Callable

from shared.adapters.postgres import PostgresRpc
from shared.adapters.store import SqlStore
from shared.adapters.supabase import SupabaseRpc
from shared.config import PROJECT_ROOT
from shared.domain.turns import InboundMessage, OutboundMessage
from tests.bench.common import ROUNDS, bench_database, median_of_rounds


def new_wa_id() -> str:
    return "62813" + str(uuid.uuid4().int)[:8]


def turn(store: SqlStore) -> Callable[[], None]:
    wa_id = new_wa_id()

    def run() -> None:
        start = store.begin_turn(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, text="pulsa 10rb"))
        store.end_turn(start.conversation_id, start.lease.token, {"n": 1}, [OutboundMessage("Siap kak")])

    return run


def ledger(store: SqlStore) -> Callable[[], None]:
    cid = store.begin_turn(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=new_wa_id())).customer.id
    store.post_ledger(cid, "credit", 10**12, f"bench-{uuid.uuid4()}")

    def run() -> None:
        store.post_ledger(cid, "debit", 1_000, f"bench-{uuid.uuid4()}")

    return run


def import_ms(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print((time.perf_counter() - t) * 1000)"
    runs = [float(subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                                 text=True, check=True).stdout) for _ in range(7)]
    return statistics.median(runs)


def main() -> None:
    from tests.fakes.postgrest import PostgrestStandIn

    with bench_database() as url:
        pg = SqlStore(PostgresRpc(url))
        with PostgrestStandIn(url) as api:
            supa = SqlStore(SupabaseRpc(api.url, api.service_key))
            print(f"data layer: median ms over {ROUNDS} rounds x 100 calls")
            print(f"  turn (begin+end)   postgres {median_of_rounds(turn(pg)):6.2f}   "
                  f"supabase stand-in {median_of_rounds(turn(supa)):6.2f}")
            print(f"  post_ledger debit  postgres {median_of_rounds(ledger(pg)):6.2f}   "
                  f"supabase stand-in {median_of_rounds(ledger(supa)):6.2f}")
        pg.rpc.close()

    print("cold import, median of 7 (ms)")
    for module in ("shared.config", "shared.bootstrap", "shared.adapters.store", "shared.domain.search",
                   "shared.adapters.postgres, psycopg, psycopg_pool", "shared.adapters.supabase, httpx",
                   "shared.adapters.atlantic, httpx", "upstash_redis", "redis", "rapidfuzz.process"):
        print(f"  {module:48s} {import_ms(module):7.1f}")
