"""Catalog at scale: a 10,000-product sync, and search latency over that catalog.

The catalog is the sandbox's, multiplied into regional variants the way Atlantic lists regional
data packages ("Telkomsel Data 1.5 GB 3 Hari (Jawa Tengah - DIY)"), served by the sandbox over
HTTP so the sync is measured end to end: fetch, parse, normalize, one SQL call.
"""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

from shared.adapters.atlantic import AtlanticClient
from shared.adapters.catalog_store import SqlCatalog
from shared.adapters.postgres import PostgresRpc
from shared.adapters.sandbox import Sandbox, SandboxEngine
from shared.adapters.sandbox import catalog as sandbox_catalog
from shared.services.catalog import search, sync_catalog
from tests.bench.common import ROUNDS, bench_database, ms, p95

SIZE = 10_000
REGIONS = ["Jabodetabek", "Jawa Barat", "Jawa Tengah - DIY", "Jawa Timur", "Bali Nusra", "Sumbagut", "Sumbagteng",
           "Sumbagsel", "Kalimantan", "Sulawesi", "Papua Maluku", "Nasional"]


def generated_catalog(size: int = SIZE) -> dict[str, dict]:
    rng = random.Random(7)
    base = sandbox_catalog.prabayar()
    items: dict[str, dict] = {}
    n = 0
    while len(items) < size:
        n += 1
        for row in base:
            if len(items) >= size:
                break
            region = REGIONS[n % len(REGIONS)]
            code = f"{row['code']}-{n:03d}"
            price = int(int(row["price"]) * rng.uniform(0.97, 1.06))
            items[code] = {**row, "code": code, "name": f"{row['name']} ({region} {n})", "type": region,
                           "price": str(price)}
    return items


class BigSandbox(SandboxEngine):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.products = generated_catalog()


def main() -> None:
    queries = [c["q"] for c in json.loads((Path(__file__).parents[1] / "data" / "search_queries.json").read_text())]
    with bench_database() as url, Sandbox(engine=BigSandbox(), tick_seconds=3600) as sandbox:
        provider = AtlanticClient(sandbox.url, "sandbox")
        catalog = SqlCatalog(PostgresRpc(url))

        first = ms(lambda: sync_catalog(provider, catalog))
        unchanged, changed = [], []
        for round_ in range(ROUNDS):
            unchanged.append(ms(lambda: sync_catalog(provider, catalog)))
            for row in sandbox.engine.products.values():  # every cost moves: every row is rewritten
                row["price"] = str(int(row["price"]) + 25)
            changed.append(ms(lambda: sync_catalog(provider, catalog)))
        fetch = statistics.median(ms(lambda: provider.price_list("prabayar")) for _ in range(ROUNDS))
        print(f"catalog sync of {len(sandbox.engine.products):,} products (ms): first (all new) {first:.0f}; "
              f"median of {ROUNDS}: all changed {statistics.median(changed):.0f}, unchanged "
              f"{statistics.median(unchanged):.0f}; of which fetching the list over HTTP {fetch:.0f}")

        rng = random.Random(11)
        p95s, medians = [], []
        for _ in range(ROUNDS):
            order = queries * 10
            rng.shuffle(order)
            samples = [ms(lambda q=q: search(catalog, q)) for q in order]
            p95s.append(p95(samples))
            medians.append(statistics.median(samples))
        print(f"search over {SIZE:,} products, {len(queries)} labelled queries x 10 per round (parse + one SQL call,"
              f" psycopg): median of {ROUNDS} rounds: p50 {statistics.median(medians):.2f} ms, "
              f"p95 {statistics.median(p95s):.2f} ms (rounds' p95: {', '.join(f'{x:.2f}' for x in p95s)})")
        catalog.rpc.close()
        provider.close()
