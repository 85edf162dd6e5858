"""Supabase transport: our SQL functions over PostgREST's ``POST /rest/v1/rpc/<fn>``.

One request per call, made with httpx directly: it is all supabase-py's postgrest client does for
an RPC, and importing that client (its sync and async request builders) cost every cold start
~35 ms more than this module. The protocol is PostgREST's: the service-role key as ``apikey`` and
as a bearer token, the named arguments as a JSON object, the function's JSON result back, and a
refusal as ``{"code", "message", "details", "hint"}`` with an HTTP status. The httpx client has an
explicit timeout (a webhook's budget, not a library's default of minutes) and the process's one
TLS context. RPC calls are never retried blindly; a deadlock or serialization failure (PostgREST
rolled the call back) is retried here, as over psycopg.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from shared.adapters.retry import retry_conflicts
from shared.errors import BotError, StoreError, StoreUnavailable, from_sqlstate

# PostgREST's own codes for "the database is not there right now" (docs.postgrest.org, Errors):
# PGRST000 cannot connect, PGRST001 internal connection error, PGRST002 schema cache not loaded,
# PGRST003 timed out waiting for a pool connection.
_POSTGREST_UNAVAILABLE = frozenset({"PGRST000", "PGRST001", "PGRST002", "PGRST003"})


class _Refused(Exception):
    """A non-2xx answer, as PostgREST (or the gateway in front of it) gave it."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        self.code = self.body.get("code")
        super().__init__(self.body.get("message") or f"HTTP {status}")


def _translate(refused: _Refused) -> BotError:
    """A SQLSTATE from PostgREST, one of its own codes, or what the gateway said."""
    code, message = refused.code, str(refused.body.get("message") or "")
    if code is None:
        if not refused.body:  # no JSON at all: a proxy, a load balancer, an outage page
            if refused.status >= 500 or refused.status == 429:
                return StoreUnavailable(f"Supabase answered HTTP {refused.status}")
            return StoreError(f"Supabase answered HTTP {refused.status}")
        return StoreError(f"Supabase refused the request: {message}")  # the gateway: a bad or missing key
    if code in _POSTGREST_UNAVAILABLE:
        return StoreUnavailable(f"PostgREST: {message} ({code})")
    return from_sqlstate(code, message, refused.body.get("details"))


class SupabaseRpc:
    """Calls ``public.<fn>`` through PostgREST with the service-role key."""

    name = "supabase"

    def __init__(self, url: str, service_role_key: str, *, timeout: float = 10.0) -> None:
        import httpx

        from shared.adapters.http import tls_context

        self._http = httpx.Client(
            base_url=f"{url.rstrip('/')}/rest/v1",
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            verify=tls_context(),
            headers={"apikey": service_role_key, "Authorization": f"Bearer {service_role_key}",
                     "Content-Type": "application/json", "Accept": "application/json",
                     "Content-Profile": "public", "Accept-Profile": "public"},
        )

    def _once(self, fn: str, body: bytes) -> Any:
        response = self._http.post(f"/rpc/{fn}", content=body)
        try:
            data = response.json() if response.content else None
        except ValueError:
            data = None
        if response.is_success:
            return data
        raise _Refused(response.status_code, data)

    def call(self, fn: str, params: Mapping[str, Any]) -> Any:
        import httpx

        body = json.dumps(dict(params), default=str).encode()
        try:
            return retry_conflicts(fn, lambda: self._once(fn, body), lambda e: getattr(e, "code", None))
        except _Refused as refused:
            raise _translate(refused) from refused
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"PostgREST unreachable: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        self._http.close()
