"""R6: the WhatsApp webhook under load (``python -m tests.bench whatsapp``).

5,000 signed Cloud API messages from 500 customers (10 each, sent in order per customer, customers
in parallel) through ``whatsapp_webhook`` served by functions-framework's gunicorn (1 worker, 8
threads, as on Cloud Functions), on the local Postgres and Redis, the Atlantic sandbox, and the
Graph API stand-in receiving every reply through pywa. Goal: ≤ 60 s, nothing lost. Reports the
wall time, the webhook latency Meta sees (median, p95), and what was stored and sent.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid

from tests.bench.common import bench_database, p95

CUSTOMERS = int(os.environ.get("R6_CUSTOMERS", 500))
PER_CUSTOMER = int(os.environ.get("R6_MESSAGES", 10))
LINES = ["halo kak", "cek saldo", "pulsa xl 10rb", "batal", "paket data tsel", "2", "batal", "cek saldo",
         "makasih kak", "halo"]


def main() -> None:
    import psycopg

    from shared.adapters.atlantic import AtlanticClient
    from shared.adapters.catalog_store import SqlCatalog
    from shared.adapters.postgres import PostgresRpc
    from shared.adapters.sandbox import Sandbox, SandboxEngine, SandboxSettings
    from shared.services.catalog import sync_catalog
    from tests.conftest import DEFAULT_REDIS
    from tests.fakes.graph import GraphStandIn
    from tests.functions.served import play, served_webhook
    from tests.functions.whatsapp import PHONE_ID, TOKEN, customer_says, text, wamid
    from tests.world import USERNAME

    engine = SandboxEngine(SandboxSettings(api_key="sandbox", username=USERNAME, trx_delay=0, balance=50_000_000))
    with bench_database() as url, Sandbox(engine=engine, tick_seconds=3600) as sandbox, \
            GraphStandIn(token=TOKEN, phone_id=PHONE_ID) as graph:
        rpc = PostgresRpc(url)
        sync_catalog(AtlanticClient(sandbox.url, "sandbox"), SqlCatalog(rpc))
        rpc.close()
        customers = [f"62813{uuid.uuid4().int % 10**8:08d}" for _ in range(CUSTOMERS)]
        conversations = {wa: [json.dumps(customer_says(wa, text(wa, LINES[i % len(LINES)], mid=wamid()))).encode()
                              for i in range(PER_CUSTOMER)] for wa in customers}
        with served_webhook(url, DEFAULT_REDIS, sandbox.url, graph.url, threads=8) as webhook:
            started = time.perf_counter()
            latencies = play(webhook, conversations, parallel=32)
            wall = time.perf_counter() - started
        with psycopg.connect(url) as db:
            stored, handled = db.execute("select count(*), count(handled_at) from messages where direction = 'in'").fetchone()
            outbox = db.execute("select count(*) from outbox").fetchone()[0]
        total = CUSTOMERS * PER_CUSTOMER
        lost = total - handled
        ms = [x * 1000 for x in latencies]
        print(f"R6 whatsapp_webhook: {total} signed messages from {CUSTOMERS} customers in {wall:.1f} s "
              f"({total / wall:.0f}/s; goal <= 60 s); stored {stored}, handled {handled}, lost {lost}; "
              f"{outbox} replies queued, {len(graph.sent())} sent through pywa; webhook latency median "
              f"{statistics.median(ms):.0f} ms, p95 {p95(ms):.0f} ms")
        if lost:
            raise SystemExit(f"{lost} message(s) lost")
