"""The bridge's own Postgres store: the event outbox, the media kept for ``GET /{media_id}``, the
chats it has heard from, what it sent, and the web phone's chat history.

neonize creates whatsmeow's session tables in ``public``, so this store never shares a database
with the product's tables (:func:`database_url`); our tables live in schema ``bridge``. Every call
is one statement in autocommit mode (one round trip); the session's event callback makes exactly
one (:meth:`Store.commit_event`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.settings import BridgeSettings
from shared.errors import ConfigError, StoreUnavailable

log = logging.getLogger(__name__)

SCHEMA = """
create schema if not exists bridge;
create table if not exists bridge.events (
  seq bigserial primary key,
  chat text not null,                 -- the chat's JID: delivery keeps order per chat
  wamid text,                         -- an inbound message's id (deduped; maps read receipts)
  kind text not null check (kind in ('message', 'echo', 'receipt')),
  event jsonb not null,               -- the session event, neutral (bridge.events module renders it)
  state text not null default 'pending' check (state in ('media', 'pending', 'delivered', 'parked')),
  attempts int not null default 0,
  next_at timestamptz not null default now(),
  first_failed_at timestamptz,        -- since when this event's deliveries fail (webhook_failing)
  last_error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz
);
create unique index if not exists events_wamid on bridge.events (wamid) where wamid is not null;
create index if not exists events_waiting on bridge.events (chat, seq) where state in ('media', 'pending');
create index if not exists events_parked on bridge.events (seq) where state = 'parked';
create index if not exists events_done on bridge.events (delivered_at) where state = 'delivered';
create table if not exists bridge.media (
  id text primary key,                -- all digits: pywa takes any other string for a path or URL
  mime_type text not null,
  sha256 bytea not null,
  size int not null,
  filename text,
  data bytea not null,
  created_at timestamptz not null default now()
);
create index if not exists media_age on bridge.media (created_at);
create table if not exists bridge.chats (
  chat text primary key,              -- the JID we last heard this person from
  pn text,                            -- phone digits, when known
  lid text,                           -- LID digits, when known
  name text,
  last_in_at timestamptz
);
create index if not exists chats_pn on bridge.chats (pn);
create index if not exists chats_lid on bridge.chats (lid);
create table if not exists bridge.sent (
  id text primary key,                -- the message id WhatsApp gave our send (the wamid pywa reads)
  chat text not null,
  type text not null,
  options jsonb,                      -- an interactive message's numbered choices: [{id, title, description}]
  kind text,                          -- button | list
  tracker text,                       -- biz_opaque_callback_data, echoed back in statuses
  created_at timestamptz not null default now()
);
create index if not exists sent_chat on bridge.sent (chat, created_at desc);
create table if not exists bridge.webphone (
  seq bigserial primary key,
  chat text not null,                 -- the customer's digits
  id text not null unique,
  direction text not null check (direction in ('in', 'out')),
  type text not null,
  text text,
  media_id text,
  status text,                        -- out: sent | delivered | read
  ts bigint not null                  -- Unix seconds
);
create index if not exists webphone_chat on bridge.webphone (chat, seq);
"""


def database_url(settings: BridgeSettings) -> str:
    """BRIDGE_DATABASE_URL; else a database of its own on DATABASE_URL's server (created if
    missing); else one on the embedded Postgres. Named ``bridge_<phone id>``: one bridge per number,
    and two sessions must never share whatsmeow's tables."""
    if settings.bridge_database_url:
        return settings.bridge_database_url.get_secret_value()
    name = f"bridge_{settings.whatsapp_phone_id}"
    if settings.database_url:
        server = settings.database_url.get_secret_value()
        if ":6543" in server or "supabase.co" in server or "supabase.com" in server:
            raise ConfigError(["BRIDGE_DATABASE_URL: is required when DATABASE_URL is Supabase's: the bridge needs a "
                               "Postgres of its own, on a direct or session connection (docs/bridge.md)"])
    else:
        from shared.adapters.embedded import postgres_uri

        server = postgres_uri(settings.data_dir)
    return ensure_database(server, name)


def ensure_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``server_url`` if missing; its URL."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(server_url)
    try:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=10) as conn:
            if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is None:
                try:
                    conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
                    log.info("created the bridge's database %s", name)
                except psycopg.errors.DuplicateDatabase:
                    pass
    except psycopg.errors.InsufficientPrivilege:
        raise ConfigError([f"BRIDGE_DATABASE_URL: is required: this user may not create the database {name} "
                           "(create it, or point BRIDGE_DATABASE_URL at a database of the bridge's own)"]) from None
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"the bridge's Postgres is unreachable: {exc}") from exc
    params["dbname"] = name
    return make_conninfo(**params)


def libpq_url(conninfo: str) -> str:
    """The same database as a ``postgres://`` URL for whatsmeow's lib/pq (neonize takes a name
    starting with ``postgres`` as one); lib/pq requires TLS unless told, so a local server gets
    ``sslmode=disable``."""
    from urllib.parse import quote, urlencode

    from psycopg.conninfo import conninfo_to_dict

    p = conninfo_to_dict(conninfo)
    host = p.pop("host", "127.0.0.1")
    query = {k: str(v) for k, v in p.items() if k not in ("user", "password", "port", "dbname", "hostaddr")}
    netloc = ""
    if p.get("user"):
        netloc = quote(p["user"], safe="") + (":" + quote(p["password"], safe="") if p.get("password") else "") + "@"
    if host.startswith("/"):
        query["host"] = host  # a Unix socket directory (the embedded Postgres)
    else:
        netloc += host + (f":{p['port']}" if p.get("port") else "")
    if "sslmode" not in query and (host.startswith("/") or host in ("127.0.0.1", "localhost", "::1")):
        query["sslmode"] = "disable"
    return f"postgres://{netloc}/{quote(p.get('dbname', 'postgres'), safe='')}?{urlencode(query)}"


@dataclass(frozen=True)
class Waiting:
    """The head of a chat's queue: the next event to deliver for that chat."""

    seq: int
    chat: str
    kind: str
    event: dict[str, Any]
    state: str
    attempts: int
    next_at: datetime
    created_at: datetime
    first_failed_at: datetime | None
    due: bool = True  # next_at has come, by the database's clock


class Store:
    """All of the bridge's SQL. Methods raise :class:`StoreUnavailable` when Postgres is down."""

    def __init__(self, conninfo: str, *, max_size: int = 6) -> None:
        from psycopg_pool import ConnectionPool

        from shared.adapters.postgres import connection_kwargs

        self.conninfo = conninfo
        # a silent database (a partition, a failover) fails a statement within seconds instead of
        # stalling the session's event thread for TCP's retransmission minutes
        kwargs = connection_kwargs(5) | {"application_name": "bot-jual-wa-bridge", "tcp_user_timeout": 10_000,
                                         "options": "-c statement_timeout=30000"}
        self._pool = ConnectionPool(conninfo, min_size=1, max_size=max_size, kwargs=kwargs, timeout=10,
                                    max_idle=300, name="bridge", open=False)

    def open(self) -> Store:
        self._pool.open(wait=False)
        with self._conn() as conn:
            conn.execute(SCHEMA)
        return self

    def close(self) -> None:
        self._pool.close()

    def _conn(self, timeout: float | None = None) -> Any:
        return _Borrow(self._pool, timeout)

    def _all(self, query: str, params: Any = ()) -> list[tuple]:
        with self._conn() as conn:
            return conn.execute(query, params).fetchall()

    def _one(self, query: str, params: Any = ()) -> tuple | None:
        with self._conn() as conn:
            return conn.execute(query, params).fetchone()

    # -- inbound ----------------------------------------------------------------------------------

    def commit_event(self, kind: str, chat: str, event: dict[str, Any], *, wamid: str | None = None,
                     state: str = "pending", pn: str | None = None, lid: str | None = None,
                     name: str | None = None, conn: Any = None) -> int | None:
        """Commit one event (and, for a customer's message, the chat it came from) in one statement.
        Returns its ``seq``, or None for a message already committed (whatsmeow redelivers after a
        reconnect)."""
        from psycopg.types.json import Jsonb

        if conn is None:  # on the session's callback thread: wait little for a pooled connection
            with self._conn(timeout=3) as own:
                return self.commit_event(kind, chat, event, wamid=wamid, state=state, pn=pn, lid=lid, name=name,
                                         conn=own)
        row = conn.execute(
            """with chat as (
                 insert into bridge.chats as c (chat, pn, lid, name, last_in_at)
                 select %(chat)s, %(pn)s, %(lid)s, %(name)s, now() where %(touch)s
                 on conflict (chat) do update set pn = coalesce(excluded.pn, c.pn), lid = coalesce(excluded.lid, c.lid),
                   name = coalesce(excluded.name, c.name), last_in_at = now()
               )
               insert into bridge.events (chat, wamid, kind, event, state) values (%(chat)s, %(wamid)s, %(kind)s, %(event)s, %(state)s)
               on conflict (wamid) where wamid is not null do nothing returning seq""",
            {"chat": chat, "pn": pn, "lid": lid, "name": name, "touch": kind == "message", "wamid": wamid,
             "kind": kind, "event": Jsonb(event), "state": state}).fetchone()
        return row[0] if row else None

    def commit_message_with_media(self, chat: str, event: dict[str, Any], media: dict[str, Any], data: bytes, *,
                                  wamid: str, pn: str | None, lid: str | None, name: str | None) -> int | None:
        """A message whose media bytes are at hand (the web phone): media and event together."""
        with self._conn() as conn, conn.transaction():
            self._put_media(conn, media["id"], data, media.get("mime_type") or "application/octet-stream",
                            media.get("filename"))
            return self.commit_event("message", chat, event, wamid=wamid, pn=pn, lid=lid, name=name, conn=conn)

    def media_waiting(self, limit: int = 8) -> list[tuple[int, dict[str, Any], int]]:
        """Messages whose media is still to be downloaded: (seq, event, attempts)."""
        return [(r[0], r[1], r[2]) for r in self._all(
            "select seq, event, attempts from bridge.events where state = 'media' and next_at <= now() "
            "order by seq limit %s", (limit,))]

    def media_fetched(self, seq: int, event: dict[str, Any], media_id: str | None, data: bytes | None,
                      mime_type: str, filename: str | None) -> None:
        from psycopg.types.json import Jsonb

        with self._conn() as conn, conn.transaction():
            if media_id and data is not None:
                self._put_media(conn, media_id, data, mime_type, filename)
            conn.execute("update bridge.events set event = %s, state = 'pending', attempts = 0, next_at = now() "
                         "where seq = %s and state = 'media'", (Jsonb(event), seq))

    def media_retry(self, seq: int, delay: float, error: str, *, count: bool = True) -> None:
        self._one("update bridge.events set attempts = attempts + %s, next_at = now() + make_interval(secs => %s), "
                  "last_error = %s where seq = %s returning seq", (1 if count else 0, delay, error[:500], seq))

    # -- delivery ---------------------------------------------------------------------------------

    def heads(self, limit: int, busy: list[str]) -> list[Waiting]:
        """The next event of each chat whose turn has come, oldest chats first, skipping ``busy``."""
        rows = self._all(
            """select seq, chat, kind, event, state, attempts, next_at, created_at, first_failed_at from (
                 select distinct on (chat) * from bridge.events where state in ('media', 'pending')
                 and chat <> all(%s) order by chat, seq) h
               where state = 'pending' and next_at <= now() order by seq limit %s""", (busy, limit))
        return [Waiting(*r) for r in rows]

    def head(self, chat: str) -> Waiting | None:
        row = self._one(
            "select seq, chat, kind, event, state, attempts, next_at, created_at, first_failed_at, next_at <= now() "
            "from bridge.events where chat = %s and state in ('media', 'pending') order by seq limit 1", (chat,))
        return Waiting(*row) if row else None

    def next_due(self, busy: list[str]) -> float | None:
        """Seconds until the earliest retry of a chat not being delivered is due (None: none waits)."""
        row = self._one("select extract(epoch from min(next_at) - now()) from bridge.events "
                        "where state = 'pending' and chat <> all(%s)", (busy,))
        return None if row is None or row[0] is None else max(0.0, float(row[0]))

    def delivered(self, seq: int) -> None:
        self._one("update bridge.events set state = 'delivered', delivered_at = now(), last_error = null "
                  "where seq = %s returning seq", (seq,))

    def failed(self, seq: int, delay: float, error: str) -> None:
        self._one("update bridge.events set attempts = attempts + 1, next_at = now() + make_interval(secs => %s), "
                  "first_failed_at = coalesce(first_failed_at, now()), last_error = %s where seq = %s returning seq",
                  (delay, error[:500], seq))

    def park(self, seq: int, error: str) -> None:
        self._one("update bridge.events set state = 'parked', attempts = attempts + 1, last_error = %s "
                  "where seq = %s returning seq", (error[:500], seq))

    def parked(self, limit: int = 100) -> list[dict[str, Any]]:
        return [{"seq": r[0], "chat": r[1], "kind": r[2], "wamid": r[3], "error": r[4], "attempts": r[5],
                 "created_at": r[6].isoformat()}
                for r in self._all("select seq, chat, kind, wamid, last_error, attempts, created_at from bridge.events "
                                   "where state = 'parked' order by seq limit %s", (limit,))]

    def replay(self, seqs: list[int] | None) -> int:
        """Put parked events back in line (all of them when ``seqs`` is None)."""
        row = self._one(
            """with r as (update bridge.events set state = 'pending', next_at = now(), first_failed_at = null
                 where state = 'parked' and (%(all)s or seq = any(%(seqs)s)) returning 1) select count(*) from r""",
            {"all": seqs is None, "seqs": seqs or []})
        return int(row[0]) if row else 0

    def failing_since(self) -> datetime | None:
        """Since when the oldest waiting event's deliveries fail (for /healthz: answers within 2 s)."""
        with self._conn(timeout=2) as conn:
            row = conn.execute("select min(first_failed_at) from bridge.events where state = 'pending'").fetchone()
        return row[0] if row else None

    def queue_stats(self) -> dict[str, float]:
        with self._conn(timeout=2) as conn:
            row = conn.execute(
            """select count(*) filter (where state in ('media', 'pending')),
                      count(*) filter (where state = 'parked'),
                      coalesce(extract(epoch from now() - min(created_at) filter (where state in ('media', 'pending'))), 0)
               from bridge.events where state <> 'delivered'""").fetchone()
        return {"depth": float(row[0]), "parked": float(row[1]), "oldest_age": float(row[2])} if row else {}

    def event_chat(self, wamid: str) -> str | None:
        row = self._one("select chat from bridge.events where wamid = %s", (wamid,))
        return row[0] if row else None

    # -- chats, sends -----------------------------------------------------------------------------

    def chat_for(self, *, pn: str | None = None, lid: str | None = None) -> tuple[str, bool] | None:
        """The JID last heard from for this phone number or LID, and whether they ever wrote."""
        row = self._one("select chat, last_in_at is not null from bridge.chats where (pn = %s or lid = %s) "
                        "order by last_in_at desc nulls last limit 1", (pn, lid))
        return (row[0], row[1]) if row else None

    def record_sent(self, id: str, chat: str, type: str, *, options: list[dict[str, str]] | None = None,
                    kind: str | None = None, tracker: str | None = None) -> None:
        from psycopg.types.json import Jsonb

        self._one("insert into bridge.sent (id, chat, type, options, kind, tracker) values (%s, %s, %s, %s, %s, %s) "
                  "on conflict (id) do nothing returning id",
                  (id, chat, type, Jsonb(options) if options else None, kind, tracker))

    def latest_sent(self, chat: str, before: datetime) -> tuple[str, str | None, list[dict[str, str]] | None, datetime] | None:
        """The chat's latest outbound message sent before ``before``: (id, kind, options, created_at)."""
        row = self._one("select id, kind, options, created_at from bridge.sent where chat = %s and created_at <= %s "
                        "order by created_at desc limit 1", (chat, before))
        return (row[0], row[1], row[2], row[3]) if row else None

    def trackers(self, ids: list[str]) -> dict[str, tuple[str, str | None]]:
        """id → (chat, tracker) of messages we sent."""
        return {r[0]: (r[1], r[2]) for r in self._all("select id, chat, tracker from bridge.sent where id = any(%s)",
                                                      (ids,))}

    # -- media ------------------------------------------------------------------------------------

    @staticmethod
    def _put_media(conn: Any, media_id: str, data: bytes, mime_type: str, filename: str | None) -> None:
        import hashlib

        conn.execute("insert into bridge.media (id, mime_type, sha256, size, filename, data) values (%s, %s, %s, %s, %s, %s) "
                     "on conflict (id) do nothing",
                     (media_id, mime_type, hashlib.sha256(data).digest(), len(data), filename, data))

    def put_media(self, media_id: str, data: bytes, mime_type: str, filename: str | None = None) -> None:
        with self._conn() as conn:
            self._put_media(conn, media_id, data, mime_type, filename)

    def media_info(self, media_id: str) -> tuple[str, bytes, int, str | None] | None:
        """(mime_type, sha256, size, filename)."""
        row = self._one("select mime_type, sha256, size, filename from bridge.media where id = %s", (media_id,))
        return (row[0], bytes(row[1]), row[2], row[3]) if row else None

    def media_bytes(self, media_id: str) -> tuple[bytes, str] | None:
        with self._conn() as conn:  # binary: bytea as bytes, not as hex text to decode
            row = conn.execute("select data, mime_type from bridge.media where id = %s", (media_id,),
                               binary=True).fetchone()
        return (bytes(row[0]), row[1]) if row else None

    def prune(self, *, retention_days: int, total_bytes: int, delivered_days: int = 7) -> dict[str, int]:
        """Delete media past retention or beyond the total size (oldest first), and delivered events
        older than ``delivered_days``."""
        with self._conn() as conn:
            old = conn.execute("delete from bridge.media where created_at < now() - make_interval(days => %s)",
                               (retention_days,)).rowcount
            over = conn.execute(
                """delete from bridge.media where id in (select id from (
                     select id, sum(size) over (order by created_at desc, id desc) as kept from bridge.media) m
                   where kept > %s)""", (total_bytes,)).rowcount
            events = conn.execute("delete from bridge.events where state = 'delivered' "
                                  "and delivered_at < now() - make_interval(days => %s)", (delivered_days,)).rowcount
            conn.execute("delete from bridge.sent where created_at < now() - interval '30 days'")
        return {"media_expired": old, "media_over_total": over, "events": events}

    # -- the web phone ------------------------------------------------------------------------------

    def phone_add(self, chat: str, id: str, direction: str, type: str, text: str | None, ts: int, *,
                  media_id: str | None = None, status: str | None = None) -> None:
        self._one("insert into bridge.webphone (chat, id, direction, type, text, media_id, status, ts) "
                  "values (%s, %s, %s, %s, %s, %s, %s, %s) on conflict (id) do nothing returning seq",
                  (chat, id, direction, type, text, media_id, status, ts))

    def phone_status(self, ids: list[str], status: str) -> list[str]:
        """Move our messages forward to ``status``; the ids that moved."""
        order = ["sent", "delivered", "read"]
        rows = self._all("update bridge.webphone set status = %s where id = any(%s) and direction = 'out' "
                         "and array_position(%s::text[], status) < array_position(%s::text[], %s) returning id",
                         (status, ids, order, order, status))
        return [r[0] for r in rows]

    def phone_unread(self, chat: str) -> list[str]:
        return [r[0] for r in self._all("select id from bridge.webphone where chat = %s and direction = 'out' "
                                        "and status <> 'read' order by seq", (chat,))]

    def phone_messages(self, chat: str, after: int = 0) -> list[dict[str, Any]]:
        return [{"seq": r[0], "id": r[1], "direction": r[2], "type": r[3], "text": r[4] or "", "timestamp": int(r[5]),
                 "media_id": r[6], "status": r[7]}
                for r in self._all("select seq, id, direction, type, text, ts, media_id, status from bridge.webphone "
                                   "where chat = %s and seq > %s order by seq", (chat, after))]

    def phone_media(self, message_id: str) -> str | None:
        row = self._one("select media_id from bridge.webphone where id = %s", (message_id,))
        return row[0] if row else None

    def phone_chats(self) -> list[dict[str, Any]]:
        return [{"chat": r[0], "name": r[1], "last": r[2] or "", "timestamp": int(r[3])} for r in self._all(
            """select distinct on (w.chat) w.chat, c.name, w.text, w.ts from bridge.webphone w
               left join bridge.chats c on c.pn = w.chat order by w.chat, w.seq desc""")]


class _Borrow:
    """``with store._conn() as conn``: a pooled connection, errors as :class:`StoreUnavailable`."""

    def __init__(self, pool: Any, timeout: float | None = None) -> None:
        self._pool = pool
        self._timeout = timeout
        self._cm: Any = None

    def __enter__(self) -> Any:
        import psycopg
        from psycopg_pool import PoolTimeout

        try:
            self._cm = self._pool.connection(timeout=self._timeout)
            return self._cm.__enter__()
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise StoreUnavailable(f"the bridge's Postgres is unavailable: {exc}") from exc

    def __exit__(self, *exc: Any) -> bool:
        import psycopg

        try:
            self._cm.__exit__(*exc)
        except psycopg.OperationalError as err:
            raise StoreUnavailable(f"the bridge's Postgres is unavailable: {err}") from err
        if exc[0] is not None and issubclass(exc[0], psycopg.OperationalError):
            raise StoreUnavailable(f"the bridge's Postgres is unavailable: {exc[1]}") from exc[1]
        return False
