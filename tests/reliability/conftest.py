"""The reliability suite (issue "ready for real traffic"): bursts, money storms, forgery, faults,
fuzzing and exposure, against the real Postgres and Redis.

``make test`` runs it reduced (it has to fit CI, which runs the suite twice); ``make soak`` sets
``SOAK=1`` and runs it at full size. :func:`size` picks the figure.
"""

from __future__ import annotations

import os
from typing import Iterator

import psycopg
import pytest

SOAK = os.environ.get("SOAK") == "1"


def size(reduced: int, full: int) -> int:
    """``full`` under ``make soak``, ``reduced`` otherwise."""
    return full if SOAK else reduced


def deadlocks(url: str) -> int:
    """Deadlocks the server has detected in this database so far (pg_stat_database)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select pg_stat_clear_snapshot()")
        return int(conn.execute("select deadlocks from pg_stat_database where datname = current_database()")
                   .fetchone()[0])


@pytest.fixture
def shop(fresh_database) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A fresh shop database of its own: migrated, the sandbox's catalog synced."""
    from shared.adapters.atlantic import AtlanticClient
    from shared.adapters.catalog_store import SqlCatalog
    from shared.adapters.migrations import migrate
    from shared.adapters.postgres import PostgresRpc
    from shared.adapters.sandbox import Sandbox
    from shared.services.catalog import sync_catalog

    url = fresh_database()
    migrate(url)
    rpc = PostgresRpc(url)
    with Sandbox(tick_seconds=3600) as sandbox:
        sync_catalog(AtlanticClient(sandbox.url, "sandbox"), SqlCatalog(rpc))
    rpc.close()
    yield url
