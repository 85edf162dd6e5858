"""A PostgREST-RPC stand-in: ``POST /rest/v1/rpc/<fn>`` served from the real SQL functions.

It behaves like Supabase's API gateway + PostgREST for the one endpoint we use, so our client's
real request path runs end to end in tests:

- the gateway requires an ``apikey`` header holding one of the project's keys (else 401);
- PostgREST verifies the ``Authorization: Bearer <JWT>`` (HS256, the project's JWT secret) and
  runs the call as the JWT's ``role`` (``SET LOCAL ROLE``), or as ``anon`` without a JWT;
- named JSON arguments are bound through ``json_to_record`` with the function's own argument
  types, as PostgREST does; unknown functions or argument sets answer 404 ``PGRST202``;
- errors come back as ``{"code", "message", "details", "hint"}`` with PostgREST's HTTP status for
  the SQLSTATE (custom codes such as ``BJ001`` → 400; ``42501`` → 401 for anon, else 403).
"""

from __future__ import annotations

import json
from typing import Any

import jwt
import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from tests.fakes.http import JsonStandIn

# PostgREST's SQLSTATE → HTTP status table (docs.postgrest.org, "Errors"); anything else is 400.
_EXACT = {"23503": 409, "23505": 409, "25006": 405, "53400": 500, "P0001": 400, "42883": 404, "42P01": 404}
_PREFIX = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500,
    "39": 500, "3B": 500, "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500,
    "F0": 500, "HV": 500, "P0": 500, "XX": 500,
}


def http_status(sqlstate: str, role: str) -> int:
    if sqlstate == "42501":
        return 401 if role == "anon" else 403
    return _EXACT.get(sqlstate) or _PREFIX.get(sqlstate[:2], 400)


def make_key(secret: str, role: str) -> str:
    """A Supabase-style API key: an HS256 JWT whose ``role`` claim PostgREST switches to."""
    return jwt.encode({"role": role, "iss": "supabase", "iat": 1_700_000_000, "exp": 4_100_000_000}, secret)


class PostgrestStandIn(JsonStandIn):
    """Run with ``with PostgrestStandIn(db_url, jwt_secret) as api: api.url, api.service_key``."""

    def __init__(self, conninfo: str, jwt_secret: str = "test-jwt-secret-at-least-32-characters!") -> None:
        self.jwt_secret = jwt_secret
        self.anon_key = make_key(jwt_secret, "anon")
        self.service_key = make_key(jwt_secret, "service_role")
        self.requests: list[dict[str, Any]] = []
        # fn → how many calls to answer 503 *without* running them (the database is unreachable)
        self.refuse: dict[str, int] = {}
        # fn → how many calls to answer 503 *after* running them (the reply is lost on the way)
        self.lose_replies: dict[str, int] = {}
        self._pool = ConnectionPool(conninfo, min_size=1, max_size=8, kwargs={"prepare_threshold": None}, open=True)
        self._signatures: dict[str, list[tuple[str, str, bool]]] = {}
        super().__init__()

    def __exit__(self, *exc: Any) -> None:
        super().__exit__(*exc)
        self._pool.close()

    # -- the gateway and PostgREST ------------------------------------------------------------

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        self.requests.append({"path": path, "headers": headers})
        if headers.get("apikey") not in (self.anon_key, self.service_key):
            return 401, {"message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."}
        role = "anon"
        auth = headers.get("authorization", "")
        if auth:
            if not auth.startswith("Bearer "):
                return 401, _error("PGRST301", "Expected a Bearer token")
            try:
                claims = jwt.decode(auth[7:], self.jwt_secret, algorithms=["HS256"])
            except jwt.PyJWTError as exc:
                return 401, _error("PGRST301", f"JWT invalid: {exc}")
            role = claims.get("role", "anon")
        prefix = "/rest/v1/rpc/"
        if not path.startswith(prefix):
            return 404, _error("PGRST125", f"Invalid path specified in request URL: {path}")
        fn = path[len(prefix):].split("?")[0]
        try:
            args = json.loads(raw or b"{}")
        except ValueError:
            return 400, _error("PGRST102", "Empty or invalid json")
        if not isinstance(args, dict):
            return 400, _error("PGRST102", "Expected a JSON object of named arguments")
        signature = self._signature(fn)
        known = {name for name, _, _ in signature or ()}
        required = {name for name, _, has_default in signature or () if not has_default}
        if signature is None or set(args) - known or required - set(args):
            return 404, _error(
                "PGRST202",
                f"Could not find the function public.{fn}({', '.join(sorted(args))}) in the schema cache",
                hint="If a new function was created in the database with this name and parameters, "
                "try reloading the schema cache.",
            )
        if self.refuse.get(fn):
            self.refuse[fn] -= 1
            return 503, _error("PGRST000", "Could not connect with the database")
        types = {name: typ for name, typ, _ in signature}
        used = [name for name, _, _ in signature if name in args]
        query = sql.SQL("select public.{fn}({args}) from json_to_record(%s::json) as _a({cols})").format(
            fn=sql.Identifier(fn),
            args=sql.SQL(", ").join(
                sql.SQL("{} => _a.{}").format(sql.Identifier(n), sql.Identifier(n)) for n in used
            ),
            cols=sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(types[n])) for n in used)
            if used
            else sql.SQL("_unused text"),
        )
        try:
            with self._pool.connection() as conn, conn.transaction():
                conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
                conn.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps({"role": role})])
                row = conn.execute(query, [json.dumps(args)]).fetchone()
        except psycopg.Error as exc:
            diag = exc.diag
            status = http_status(exc.sqlstate or "XX000", role)
            return status, _error(exc.sqlstate or "XX000", diag.message_primary or str(exc),
                                  details=diag.message_detail, hint=diag.message_hint)
        if self.lose_replies.get(fn):
            self.lose_replies[fn] -= 1
            return 503, _error("PGRST000", "Could not connect with the database")
        return 200, row[0]

    def _signature(self, fn: str) -> list[tuple[str, str, bool]] | None:
        """[(argument name, SQL type, has a default)] of public.<fn> (None when there is no such
        function), cached like PostgREST's schema cache."""
        if fn not in self._signatures:
            with self._pool.connection() as conn:
                row = conn.execute(
                    """select p.proargnames, p.pronargs, p.pronargdefaults,
                              array(select format_type(t, null) from unnest(p.proargtypes) t)
                         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                        where n.nspname = 'public' and p.proname = %s""",
                    [fn],
                ).fetchone()
            if row is None:
                return None
            names, nargs, ndefaults, types = row
            self._signatures[fn] = [
                (names[i], types[i], i >= nargs - ndefaults) for i in range(nargs)
            ]
        return self._signatures[fn]


def _error(code: str, message: str, *, details: Any = None, hint: Any = None) -> dict[str, Any]:
    return {"code": code, "details": details, "hint": hint, "message": message}
