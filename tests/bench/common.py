"""Shared helpers of the benchmarks: repeated measurements and a throwaway migrated database."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator

import psycopg

from shared.adapters.migrations import migrate
from shared.config import PROJECT_ROOT

ROUNDS = 5


def ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


def median_of_rounds(fn: Callable[[], object], per_round: int = 100, rounds: int = ROUNDS) -> float:
    """Median over ``rounds`` of the per-call median (ms) of ``per_round`` calls."""
    return statistics.median(statistics.median(ms(fn) for _ in range(per_round)) for _ in range(rounds))


def admin_url() -> str:
    from tests.conftest import DEFAULT_PG, FORCE_EMBEDDED, _pg_reachable

    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG)
    if FORCE_EMBEDDED or not _pg_reachable(url):
        from shared.adapters import embedded

        return embedded.postgres_uri(PROJECT_ROOT / ".data" / "test")
    return url


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh database with the migrations applied, dropped afterwards."""
    from tests.conftest import with_database

    admin = admin_url()
    name = f"bjw_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = with_database(admin, name)
    try:
        migrate(url)
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')
