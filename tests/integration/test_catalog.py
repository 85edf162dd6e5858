"""Catalog sync from the sandbox, pricing rules, and search — on real Postgres, over both transports."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import psycopg
import pytest

from shared.adapters.atlantic import AtlanticClient
from shared.adapters.catalog_store import SqlCatalog
from shared.adapters.migrations import migrate
from shared.adapters.postgres import PostgresRpc
from shared.adapters.sandbox import Sandbox, SandboxEngine
from shared.adapters.sandbox import catalog as sandbox_catalog
from shared.config import PROJECT_ROOT
from shared.domain.search import parse_query
from shared.errors import CatalogShrank
from shared.services.catalog import search, sync_catalog

QUERIES = json.loads((Path(__file__).parents[1] / "data" / "search_queries.json").read_text())
ALL_CODES = {p["code"] for p in sandbox_catalog.prabayar()} | {p["code"] for p in sandbox_catalog.pascabayar()}


@pytest.fixture(scope="module")
def catalog_url(fresh_database) -> str:  # type: ignore[no-untyped-def]
    url = fresh_database()
    migrate(url)
    return url


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(tick_seconds=3600) as s:
        yield s


@pytest.fixture(scope="module")
def provider(sandbox: Sandbox) -> Iterator[AtlanticClient]:
    client = AtlanticClient(sandbox.url, "sandbox", backoff=0)
    yield client
    client.close()


@pytest.fixture(scope="module", params=["postgres", "supabase"])
def catalog(request: pytest.FixtureRequest, catalog_url: str) -> Iterator[SqlCatalog]:
    if request.param == "postgres":
        rpc = PostgresRpc(catalog_url)
        yield SqlCatalog(rpc)
        rpc.close()
    else:
        from shared.adapters.supabase import SupabaseRpc
        from tests.fakes.postgrest import PostgrestStandIn

        with PostgrestStandIn(catalog_url) as api:
            rpc = SupabaseRpc(api.url, api.service_key)
            yield SqlCatalog(rpc)
            rpc.close()


@pytest.fixture
def cdb(catalog_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(catalog_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def synced(sandbox: Sandbox, provider: AtlanticClient, catalog: SqlCatalog, cdb) -> SqlCatalog:  # type: ignore[no-untyped-def]
    """The sandbox's own catalog, synced, with only the default pricing rule."""
    sandbox.engine.products = SandboxEngine().products
    cdb.execute("delete from pricing_rules where category is not null or provider is not null")
    sync_catalog(provider, catalog, force=True)
    return catalog


def product(cdb, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    with cdb.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("select * from products where code = %s", [code]).fetchone()


def expected_price(cost: int, percent: str, flat: int, step: int) -> int:
    return max(cost, math.ceil((Decimal(cost) * (1 + Decimal(percent) / 100) + flat) / step) * step)


# -- sync --------------------------------------------------------------------------------------

def test_sync_normalizes_every_product(synced: SqlCatalog, cdb) -> None:  # type: ignore[no-untyped-def]
    rows = cdb.execute("select code from products").fetchall()
    assert {r[0] for r in rows} == ALL_CODES
    checks = {
        "S5": dict(category="pulsa", provider="TELKOMSEL", nominal=5000, type="prabayar"),
        "S_D2": dict(category="data", provider="TELKOMSEL", quota_gb=Decimal("1.5"), validity_days=3, nominal=None),
        "AX_D1": dict(category="data", provider="AXIS", quota_gb=Decimal("0.5"), validity_days=1),
        "PLN1000": dict(category="pln", provider="PLN", nominal=1_000_000),
        "SHP20": dict(category="ewallet", provider="SHOPEEPAY", nominal=20_000),
        "LA10": dict(category="ewallet", provider="LINKAJA", nominal=10_000),
        "GOPAY50": dict(category="ewallet", provider="GOPAY", nominal=50_000),
        "ML86": dict(category="game", provider="MOBILE LEGENDS", units=86, nominal=None),
        "FF140": dict(category="game", provider="FREE FIRE", units=140),
        "GP50": dict(category="voucher", provider="GOOGLE PLAY", nominal=50_000),
        "NTSM1": dict(category="other", provider="NETFLIX", validity_days=30),
        "PPLN": dict(category="bill", provider="PLN", type="pascabayar"),
        "BPJS": dict(category="bill", provider="BPJS", type="pascabayar"),
        "S15": dict(status="empty"),
    }
    for code, want in checks.items():
        row = product(cdb, code)
        assert {k: row[k] for k in want} == want, code
    raw = product(cdb, "S5")["raw"]  # Atlantic's own texts that no column keeps, not the whole row again
    assert raw["category"] == "Pulsa Reguler" and raw["img_url"].startswith("https://") and "price" not in raw


def test_a_second_sync_changes_nothing(synced: SqlCatalog, provider: AtlanticClient) -> None:
    result = sync_catalog(provider, synced)
    assert (result.new, result.changed, result.unavailable) == (0, 0, 0)
    assert result.received == len(ALL_CODES) and result.types == ("prabayar", "pascabayar")


def test_vanished_products_become_unavailable_and_changes_reprice(
        synced: SqlCatalog, sandbox: Sandbox, provider: AtlanticClient, cdb) -> None:  # type: ignore[no-untyped-def]
    del sandbox.engine.products["X100"]
    sandbox.engine.products["S10"] = {**sandbox.engine.products["S10"], "price": "12000"}

    result = sync_catalog(provider, synced)

    assert (result.new, result.changed, result.unavailable) == (0, 1, 1)
    assert product(cdb, "X100")["status"] == "unavailable"
    s10 = product(cdb, "S10")
    assert (s10["cost"], s10["price"]) == (12_000, expected_price(12_000, "2", 500, 100))
    assert all(h.code != "X100" for h in synced.search(parse_query("pulsa xl 100rb")))

    sandbox.engine.products = SandboxEngine().products
    back = sync_catalog(provider, synced)
    assert back.changed == 2 and product(cdb, "X100")["status"] == "available"


def test_a_suspiciously_short_list_is_refused_unless_forced(
        synced: SqlCatalog, sandbox: Sandbox, provider: AtlanticClient, cdb) -> None:  # type: ignore[no-untyped-def]
    sandbox.engine.products = dict(list(SandboxEngine().products.items())[:10])
    with pytest.raises(CatalogShrank) as refused:
        sync_catalog(provider, synced)
    assert refused.value.detail["type"] == "prabayar" and refused.value.detail["incoming"] == 10
    assert cdb.execute("select count(*) from products where status = 'unavailable'").fetchone()[0] == 0

    forced = sync_catalog(provider, synced, force=True)
    assert forced.unavailable == len(sandbox_catalog.prabayar()) - 10


def test_a_price_list_that_fails_to_load_keeps_its_products(synced: SqlCatalog, catalog: SqlCatalog, cdb) -> None:  # type: ignore[no-untyped-def]
    class PostpaidDown(SandboxEngine):
        def price_list(self, form):  # type: ignore[no-untyped-def]
            return (500, None) if form.get("type") == "pascabayar" else super().price_list(form)

    with Sandbox(engine=PostpaidDown(), tick_seconds=3600) as flaky:
        result = sync_catalog(AtlanticClient(flaky.url, "sandbox", backoff=0), catalog)
    assert result.types == ("prabayar",)
    assert product(cdb, "PPLN")["status"] == "available"


# -- pricing -----------------------------------------------------------------------------------

def test_default_rule_prices_every_product_rounded_up_and_never_below_cost(synced: SqlCatalog, cdb) -> None:  # type: ignore[no-untyped-def]
    for code, cost, price in cdb.execute("select code, cost, price from products").fetchall():
        assert price == expected_price(cost, "2", 500, 100), code
        assert price >= cost and price % 100 == 0


def test_a_rule_change_reprices_without_a_resync(synced: SqlCatalog, cdb) -> None:  # type: ignore[no-untyped-def]
    cdb.execute("insert into pricing_rules (category, provider, percent, flat, round_to) values"
                " ('pulsa', null, 0, 1000, 500), ('pulsa', 'XL', 1.5, 0, 100), (null, 'DANA', 0, 0, 1)")
    rows = {c: (cost, price) for c, cost, price in cdb.execute("select code, cost, price from products")}
    assert rows["S10"][1] == expected_price(rows["S10"][0], "0", 1000, 500)       # category rule
    assert rows["X10"][1] == expected_price(rows["X10"][0], "1.5", 0, 100)        # provider beats category
    assert rows["DANA10"][1] == rows["DANA10"][0]                                  # at cost, never below
    assert rows["S_D1"][1] == expected_price(rows["S_D1"][0], "2", 500, 100)       # default still applies
    hits = synced.search(parse_query("pulsa xl 50rb"))
    assert hits[0].price == expected_price(rows["X50"][0], "1.5", 0, 100)

    cdb.execute("update pricing_rules set active = false where provider = 'XL'")
    assert product(cdb, "X10")["price"] == expected_price(rows["X10"][0], "0", 1000, 500)


# -- search --------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", QUERIES, ids=[c["q"] for c in QUERIES])
def test_labelled_queries(synced: SqlCatalog, case: dict[str, Any]) -> None:
    query, hits = search(synced, case["q"])
    want = case["expect"]
    for slot, value in want.items():
        got = getattr(query, slot)
        assert (float(got) if isinstance(got, Decimal) else got) == value, f"{slot} of {case['q']!r}"
    if case.get("empty"):
        assert hits == []
        return
    assert hits, case["q"]
    assert len(hits) <= 10
    if case.get("first"):
        assert hits[0].code == case["first"], [h.code for h in hits]
    for hit in hits:  # every result honours the query's filters
        assert hit.status == "available"
        if query.category:
            assert hit.category == query.category
        if query.provider:
            assert hit.provider == query.provider
        if query.max_price is not None:
            assert hit.price <= query.max_price
        if query.min_quota_gb is not None:
            assert hit.quota_gb is not None and hit.quota_gb >= query.min_quota_gb
        if query.min_validity_days is not None:
            assert hit.validity_days is not None and hit.validity_days >= query.min_validity_days
        if query.units is not None:
            assert hit.units == query.units
        if query.nominal is not None and not case.get("nearest"):
            assert hit.nominal == query.nominal
    if query.sort == "price_asc":
        assert [h.price for h in hits] == sorted(h.price for h in hits)


def test_search_cli_prints_only_a_json_list(catalog_url: str, fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database()  # an empty catalog: the CLI syncs the sandbox's first
    migrate(url)
    env = {k: v for k, v in os.environ.items()
           if k not in ("SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "ATLANTIC_API_KEY", "DB_TRANSPORT")}
    env.update(DATABASE_URL=url, PYTHONPATH=str(PROJECT_ROOT))

    def run(text: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "shared", "search", text, "--json"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    found = run("pulsa xl 50rb")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert isinstance(hits, list) and hits[0]["code"] == "X50"
    assert {"code", "name", "category", "provider", "nominal", "price", "status"} <= set(hits[0])
    assert hits[0]["provider"] == "XL" and hits[0]["nominal"] == 50_000 and isinstance(hits[0]["price"], int)
    assert "catalog is empty: syncing it first" in found.stderr

    nothing = run("xyzabc")
    assert nothing.returncode == 0 and json.loads(nothing.stdout) == []
