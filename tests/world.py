"""A whole shop for end-to-end tests: its own database (migrated, catalog synced), its own Atlantic
sandbox over HTTP, the app built by ``bootstrap``, the real ``atlantic_webhook`` function through
functions-framework, and customers talking to the real pipeline."""

from __future__ import annotations

import json
import uuid
from typing import Any, Iterator

import psycopg
import pytest
from functions_framework import create_app

from shared import bootstrap
from shared.adapters.atlantic import AtlanticClient
from shared.adapters.migrations import migrate
from shared.adapters.postgres import PostgresRpc
from shared.adapters.sandbox import Sandbox, SandboxEngine, SandboxSettings
from shared.config import PROJECT_ROOT, Settings
from shared.domain.turns import InboundMessage
from shared.services.catalog import sync_catalog
from tests.dialogs import Collect

ADMIN = "6281100000001"
USERNAME = "tokobudi"
SIGNATURE = __import__("hashlib").md5(USERNAME.encode()).hexdigest()


class World:
    """One shop: database, sandbox, app, the webhook function, and customers talking to it."""

    def __init__(self, url: str, sandbox: Sandbox, redis_url: str, **settings: Any) -> None:
        self.url = url
        self.sandbox = sandbox
        self.settings = Settings(**{
            "_env_file": None, "database_url": url, "redis_url": redis_url, "atlantic_api_key": "sandbox",
            "atlantic_username": USERNAME, "atlantic_base_url": sandbox.url, "admin_wa_ids": ADMIN,
            "check_after_seconds": 1, "resubmit_after_seconds": 5, "pending_notice_seconds": 60,
            "escalate_after_seconds": 600, "low_balance_threshold": 1_000_000, "atlantic_read_retries": 0,
            **settings})
        # a test messenger, unless WhatsApp is configured: then the app builds the real one (pywa)
        self.messenger: Any = None if self.settings.whatsapp_token else Collect()
        self.app = bootstrap.App(self.settings, messenger=self.messenger)
        bootstrap.use(self.app)
        self.pipeline = self.app.pipeline
        self.webhook = create_app("atlantic_webhook", str(PROJECT_ROOT / "functions" / "atlantic_webhook" / "main.py")).test_client()
        self.db = psycopg.connect(url, autocommit=True)

    # -- customers ---------------------------------------------------------------------------

    def customer(self) -> str:
        return "62813" + str(uuid.uuid4().int)[:8]

    def say(self, wa_id: str, text: str) -> Any:
        replies = self.pipeline.handle(InboundMessage(wamid=f"wamid.{uuid.uuid4().hex}", wa_id=wa_id, text=text))
        return replies[-1] if replies else None

    def customer_id(self, wa_id: str) -> int:
        return self.db.execute("select id from customers where wa_id = %s", [wa_id]).fetchone()[0]

    def credit(self, wa_id: str, amount: int) -> None:
        self.app.store.post_ledger(self.customer_id(wa_id), "credit", amount, f"topup-{uuid.uuid4()}", note="admin")

    def saldo(self, wa_id: str) -> int:
        return self.db.execute("select saldo from customers where wa_id = %s", [wa_id]).fetchone()[0]

    def order(self, ref: str) -> dict[str, Any]:
        with self.db.cursor(row_factory=psycopg.rows.dict_row) as cur:
            return cur.execute("select * from orders where ref = %s", [ref]).fetchone()

    def payment(self, ref: str) -> dict[str, Any]:
        with self.db.cursor(row_factory=psycopg.rows.dict_row) as cur:
            return cur.execute("select * from payments where ref = %s", [ref]).fetchone()

    def texts(self, wa_id: str) -> list[str]:
        """Everything the bot wrote to this customer, in order (turn replies and notifications)."""
        return [r[0] for r in self.db.execute(
            "select m.body from messages m join conversations c on c.id = m.conversation_id"
            " join customers u on u.id = c.customer_id where u.wa_id = %s and m.direction = 'out' order by m.id",
            [wa_id]).fetchall()]

    # -- Atlantic ----------------------------------------------------------------------------

    def callbacks(self) -> list[int]:
        """Let the sandbox move on and POST its callbacks to the webhook function."""
        return [status for _, status in self.deliver()]

    def deliver(self) -> list[tuple[dict, int]]:
        sent: list[tuple[dict, int]] = []

        def post(url: str, headers: dict[str, str], body: dict) -> int:
            status = self.post(body, headers)
            sent.append((body, status))
            return status

        self.sandbox.engine.settings.callback_url = "http://functions/webhook/atlantic"
        self.sandbox.engine.tick(post)
        return sent

    def post(self, body: Any, headers: dict[str, str] | None = None) -> int:
        headers = headers if headers is not None else {"X-ATL-Signature": SIGNATURE}
        return self.webhook.post("/webhook/atlantic", data=json.dumps(body), headers=headers,
                                 content_type="application/json").status_code

    def provider_trx(self, ref: str) -> list[Any]:
        return [t for t in self.sandbox.engine.trx.values() if t.reff_id == ref]

    def reconcile(self) -> dict[str, int]:
        return self.app.reconcile()

    def invariants(self) -> None:
        """saldo = Σ ledger for every customer; every paid order ended success or refunded."""
        bad = self.db.execute(
            "select c.id from customers c left join ledger l on l.customer_id = c.id"
            " group by c.id having c.saldo <> coalesce(sum(l.amount), 0)").fetchall()
        assert bad == []
        stuck = self.db.execute("select ref, status from orders where paid_at is not null"
                                " and status not in ('success', 'refunded')").fetchall()
        assert stuck == []
        for ref, in self.db.execute("select ref from orders where status in ('processing', 'success', 'refunded', 'failed')"):
            assert len(self.provider_trx(ref)) <= 1, ref

    def close(self) -> None:
        self.db.close()
        self.app.close()
        bootstrap.use(None)



@pytest.fixture
def world(fresh_database, redis_url: str) -> Iterator[World]:  # type: ignore[no-untyped-def]
    """A new shop per test: its own database (migrated, catalog synced) and its own Atlantic."""
    yield from make_world(fresh_database, redis_url)


@pytest.fixture(params=["postgres", "supabase"])
def any_world(request: pytest.FixtureRequest, fresh_database: Any, redis_url: str, postgrest_for: Any) -> Iterator[World]:
    """A shop whose app reaches its SQL functions over psycopg, then over PostgREST (supabase-py)."""
    yield from make_world(fresh_database, redis_url, transport=request.param, postgrest_for=postgrest_for)


def make_world(fresh_database: Any, redis_url: str, *, api_key: str = "sandbox", transport: str = "postgres",
               postgrest_for: Any = None, **settings: Any) -> Iterator[World]:
    """A shop (see :class:`World`); ``transport="supabase"`` builds its app over the PostgREST
    stand-in (``postgrest_for`` is the fixture of that name)."""
    from shared.adapters.catalog_store import SqlCatalog

    url = fresh_database()
    migrate(url)
    engine = SandboxEngine(SandboxSettings(api_key=api_key, username=USERNAME, trx_delay=0, balance=50_000_000))
    with Sandbox(engine=engine, tick_seconds=3600) as sandbox:
        rpc = PostgresRpc(url)
        sync_catalog(AtlanticClient(sandbox.url, api_key), SqlCatalog(rpc))
        rpc.close()
        w = World(url, sandbox, redis_url, **{"atlantic_api_key": api_key, **settings})
        if transport == "supabase":
            from shared.adapters.supabase import SupabaseRpc

            api = postgrest_for(url)
            w.app.close()
            w.app = bootstrap.App(w.settings, rpc=SupabaseRpc(api.url, api.service_key, timeout=30), messenger=w.messenger)
            w.pipeline = w.app.pipeline
            w.postgrest = api
            bootstrap.use(w.app)
        try:
            yield w
        finally:
            w.close()
