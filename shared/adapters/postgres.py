"""Postgres transport: our SQL functions over psycopg 3, one pool per instance.

Prepared statements are off (``prepare_threshold=None``) so the same code works through the
Supabase transaction pooler, where a server connection may change between statements. Every
call is one statement in autocommit mode, i.e. one round trip, and one transaction: a deadlock or
serialization failure rolled all of it back, so it is run again (a few times, with a short jittered
pause) before it becomes :class:`shared.errors.StoreUnavailable`.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

from shared.adapters.retry import retry_conflicts
from shared.errors import StoreUnavailable, from_sqlstate

log = logging.getLogger(__name__)


def connection_kwargs(connect_timeout: float) -> dict[str, Any]:
    """psycopg connection options shared by the pool, the migration runner and the tests."""
    return {
        "autocommit": True,
        "prepare_threshold": None,
        "connect_timeout": max(1, round(connect_timeout)),
        "application_name": "bot-jual-wa",
        # notice dead peers (a frozen serverless instance, a pooler restart) within a minute
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }


def translate(exc: Exception) -> Exception:
    """Map a psycopg (or pool) error to :mod:`shared.errors`."""
    import psycopg

    if isinstance(exc, psycopg.Error) and exc.sqlstate:
        diag = exc.diag
        return from_sqlstate(exc.sqlstate, diag.message_primary or str(exc), diag.message_detail)
    return StoreUnavailable(f"Postgres unavailable: {type(exc).__name__}: {exc}".strip())


class PostgresRpc:
    """Calls ``public.<fn>(name => value, ...)`` and returns its JSON result."""

    name = "postgres"

    def __init__(
        self,
        conninfo: str,
        *,
        min_size: int = 0,
        max_size: int = 4,
        connect_timeout: float = 5.0,
    ) -> None:
        from psycopg_pool import ConnectionPool

        self._pool = ConnectionPool(
            conninfo,
            min_size=min_size,
            max_size=max_size,
            kwargs=connection_kwargs(connect_timeout),
            timeout=connect_timeout + 5,  # waiting for a free or new connection
            max_idle=300,
            name="bot-jual-wa",
            open=True,  # opens no connection while min_size is 0
        )
        self._queries: dict[tuple[str, tuple[str, ...]], Any] = {}

    def _query(self, fn: str, names: tuple[str, ...]) -> Any:
        key = (fn, names)
        query = self._queries.get(key)
        if query is None:
            from psycopg import sql

            args = sql.SQL(", ").join(
                sql.SQL("{} => {}").format(sql.Identifier(n), sql.Placeholder()) for n in names
            )
            query = sql.SQL("select public.{}({})").format(sql.Identifier(fn), args)
            self._queries[key] = query
        return query

    def call(self, fn: str, params: Mapping[str, Any]) -> Any:
        import psycopg
        from psycopg.types.json import Jsonb

        names = tuple(params)
        values = [Jsonb(v) if isinstance(v, (dict, list)) else v for v in params.values()]

        def once() -> Any:
            with self._pool.connection() as conn:
                return conn.execute(self._query(fn, names), values).fetchone()

        try:
            row = retry_conflicts(fn, once, lambda e: getattr(e, "sqlstate", None))
        except psycopg.Error as exc:
            raise translate(exc) from exc
        return row[0] if row else None

    def close(self) -> None:
        self._pool.close()
