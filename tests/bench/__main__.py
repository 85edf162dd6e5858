"""Benchmarks (``make bench``): what a turn costs in the data layer, and what imports cost.

Figures are medians over repeated runs (these machines are noisy). Needs the local Postgres and
Redis (or EMBEDDED=1 for the embedded ones), like the tests.

  turn       begin_turn + end_turn (the two round trips of a text turn) over psycopg and over
             supabase-py through the PostgREST stand-in
  ledger     one post_ledger debit
  imports    cold-start import time of the modules each entry point needs
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from typing import Callable

from shared.adapters.migrations import migrate
from shared.adapters.postgres import PostgresRpc
from shared.adapters.store import SqlStore
from shared.adapters.supabase import SupabaseRpc
from shared.config import PROJECT_ROOT
from shared.domain.turns import InboundMessage, OutboundMessage

ROUNDS, PER_ROUND = 5, 100


def median_of_rounds(fn: Callable[[], None]) -> float:
    """Median over ROUNDS of the per-call median (ms) of PER_ROUND calls."""
    medians = []
    for _ in range(ROUNDS):
        samples = []
        for _ in range(PER_ROUND):
            t = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t) * 1000)
        medians.append(statistics.median(samples))
    return statistics.median(medians)


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
    sys.path.insert(0, str(PROJECT_ROOT))
    from tests.conftest import DEFAULT_PG, FORCE_EMBEDDED, _pg_reachable, with_database
    from tests.fakes.postgrest import PostgrestStandIn

    import psycopg

    if FORCE_EMBEDDED or not _pg_reachable(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)):
        from shared.adapters import embedded

        admin = embedded.postgres_uri(PROJECT_ROOT / ".data" / "test")
    else:
        admin = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    name = f"bjw_bench_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = with_database(admin, name)
    try:
        migrate(url)
        pg = SqlStore(PostgresRpc(url))
        with PostgrestStandIn(url) as api:
            supa = SqlStore(SupabaseRpc(api.url, api.service_key))
            print(f"median ms over {ROUNDS} rounds x {PER_ROUND} calls")
            print(f"turn (begin+end)   postgres {median_of_rounds(turn(pg)):6.2f}   "
                  f"supabase stand-in {median_of_rounds(turn(supa)):6.2f}")
            print(f"post_ledger debit  postgres {median_of_rounds(ledger(pg)):6.2f}   "
                  f"supabase stand-in {median_of_rounds(ledger(supa)):6.2f}")
        pg.rpc.close()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')

    print("cold import, median of 7 (ms)")
    for module in ("shared.config", "shared.bootstrap", "shared.adapters.store",
                   "shared.adapters.postgres, psycopg, psycopg_pool", "postgrest", "supabase",
                   "upstash_redis", "redis"):
        print(f"  {module:48s} {import_ms(module):7.1f}")


if __name__ == "__main__":
    main()
