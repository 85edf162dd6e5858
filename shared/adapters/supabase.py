"""Supabase transport: our SQL functions over PostgREST's ``POST /rest/v1/rpc/<fn>``.

Uses supabase-py's ``postgrest`` client directly (it imports in about half the time of the
``supabase`` package) with an httpx client that has an explicit timeout: the library default is
120 s, far past a webhook's budget. RPC calls are POSTs, which postgrest-py never retries; a
deadlock or serialization failure (PostgREST rolled the call back) is retried here, as over psycopg.
"""

from __future__ import annotations

from typing import Any, Mapping

from shared.adapters.retry import retry_conflicts
from shared.errors import BotError, StoreError, StoreUnavailable, from_sqlstate


def _translate(exc: Any) -> BotError:
    """Map postgrest-py's APIError: a SQLSTATE from PostgREST, or what the gateway said."""
    code = exc.code
    if code is None:  # JSON without a code: the API gateway refused (bad or missing key)
        return StoreError(f"Supabase refused the request: {exc.message}")
    if len(code) == 3 and code.isdigit():  # no PostgREST JSON; postgrest-py put the HTTP status here
        if code.startswith("5") or code == "429":
            return StoreUnavailable(f"Supabase answered HTTP {code}")
        return StoreError(f"Supabase answered HTTP {code}: {exc.message}")
    if code in _POSTGREST_UNAVAILABLE:  # PostgREST could not reach Postgres (connection, pool, schema cache)
        return StoreUnavailable(f"PostgREST: {exc.message} ({code})")
    return from_sqlstate(code, exc.message or "", exc.details)


# PostgREST's own codes for "the database is not there right now" (docs.postgrest.org, Errors):
# PGRST000 cannot connect, PGRST001 internal connection error, PGRST002 schema cache not loaded,
# PGRST003 timed out waiting for a pool connection.
_POSTGREST_UNAVAILABLE = frozenset({"PGRST000", "PGRST001", "PGRST002", "PGRST003"})


class SupabaseRpc:
    """Calls ``public.<fn>`` through PostgREST with the service-role key."""

    name = "supabase"

    def __init__(self, url: str, service_role_key: str, *, timeout: float = 10.0) -> None:
        import httpx
        from postgrest import SyncPostgrestClient

        from shared.adapters.http import tls_context

        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), verify=tls_context())
        self._client = SyncPostgrestClient(
            f"{url.rstrip('/')}/rest/v1",
            headers={"apikey": service_role_key, "Authorization": f"Bearer {service_role_key}"},
            http_client=self._http,
            retry_enabled=False,
        )

    def call(self, fn: str, params: Mapping[str, Any]) -> Any:
        import httpx
        from postgrest.exceptions import APIError

        try:
            response = retry_conflicts(fn, lambda: self._client.rpc(fn, dict(params)).execute(),
                                       lambda e: getattr(e, "code", None))
        except APIError as exc:
            raise _translate(exc) from exc
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"PostgREST unreachable: {type(exc).__name__}: {exc}") from exc
        return response.data

    def close(self) -> None:
        self._http.close()
