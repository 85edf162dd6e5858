"""The one composition root: builds real or local adapters from settings, lazily, once per instance.

Functions call :func:`app` (a per-instance singleton: serverless instances are reused between
requests, so pools and clients survive). Tests and the CLI call :func:`bootstrap` with their own
settings or ready-made adapters. Nothing is built at import time, and an SDK is imported only
when its adapter is first used.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from shared.config import Settings
from shared.ports import KV, Catalog, LanguageModel, Messenger, Metrics, Orders, Rpc, Store, Supplier

if TYPE_CHECKING:
    from shared.services.conversation.agent import Agent
    from shared.services.conversation.context import Deps
    from shared.services.pipeline import Pipeline
    from shared.services.shop import Shop

log = logging.getLogger(__name__)
T = TypeVar("T")


def migration_url(settings: Settings) -> str:
    """The Postgres URL migrations run over: ``DATABASE_URL``, else the embedded server."""
    backend = settings.migration_backend()
    if backend.kind == "postgres":
        return settings.database_url.get_secret_value()  # type: ignore[union-attr]
    from shared.adapters import embedded

    return embedded.postgres_uri(settings.data_dir)


def build_rpc(settings: Settings) -> Rpc:
    """The data transport the design's rule picks, logged once with the reason."""
    backend = settings.db_backend()
    log.info("data backend: %s (%s)", backend.kind, backend.reason)
    if backend.kind == "supabase":
        from shared.adapters.supabase import SupabaseRpc

        return SupabaseRpc(
            settings.supabase_url or "",
            settings.supabase_service_role_key.get_secret_value(),  # type: ignore[union-attr]
            timeout=settings.supabase_timeout_seconds,
        )
    from shared.adapters.postgres import PostgresRpc

    if backend.kind == "embedded":
        from shared.adapters.migrations import migrate

        conninfo = migration_url(settings)
        applied = migrate(conninfo)
        if applied:
            log.info("embedded Postgres: applied %d migration(s)", len(applied))
    else:
        conninfo = settings.database_url.get_secret_value()  # type: ignore[union-attr]
    return PostgresRpc(
        conninfo,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        connect_timeout=settings.db_connect_timeout_seconds,
    )


def build_kv(settings: Settings) -> KV:
    """The KV store the design's rule picks, logged once with the reason."""
    backend = settings.kv_backend()
    log.info("KV backend: %s (%s)", backend.kind, backend.reason)
    if backend.kind == "upstash":
        from shared.adapters.upstash_kv import UpstashKV

        return UpstashKV(
            settings.upstash_redis_rest_url or "",
            settings.upstash_redis_rest_token.get_secret_value(),  # type: ignore[union-attr]
            timeout=settings.kv_timeout_seconds,
            prefix=settings.kv_prefix,
        )
    from shared.adapters.redis_kv import RedisKV

    if backend.kind == "embedded":
        from shared.adapters import embedded

        url = embedded.redis_url(settings.data_dir)
    else:
        url = settings.redis_url.get_secret_value()  # type: ignore[union-attr]
    return RedisKV.from_url(url, timeout=settings.kv_timeout_seconds, prefix=settings.kv_prefix)


def build_supplier(settings: Settings) -> tuple[Supplier, Any]:
    """The Atlantic client, pointed at the real API or at an in-process sandbox.

    Returns the client and the sandbox it talks to (``None`` for the real API), which must be
    kept alive and stopped with the app.
    """
    from shared.adapters.atlantic import AtlanticClient

    backend = settings.supplier_backend()
    log.info("supplier: %s (%s)", backend.kind, backend.reason)
    if backend.kind == "atlantic":
        client = AtlanticClient(
            settings.atlantic_base_url,
            settings.atlantic_api_key.get_secret_value(),  # type: ignore[union-attr]
            timeout=settings.atlantic_timeout_seconds,
            read_retries=settings.atlantic_read_retries,
        )
        return client, None
    sandbox = start_sandbox(settings)
    return AtlanticClient(sandbox.url, sandbox.engine.settings.api_key, timeout=settings.atlantic_timeout_seconds,
                          read_retries=settings.atlantic_read_retries), sandbox


def start_sandbox(settings: Settings, *, host: str = "127.0.0.1", port: int = 0) -> Any:
    from shared.adapters.sandbox import Sandbox, SandboxSettings

    return Sandbox(
        SandboxSettings(
            balance=settings.sandbox_balance,
            trx_delay=settings.sandbox_trx_delay_seconds,
            deposit_pay_after=settings.sandbox_pay_after_seconds,
            callback_url=settings.sandbox_callback_url,
        ),
        host=host,
        port=port,
    ).start()


class _Deferred:
    """A supplier built on its first call: a cold instance answering a greeting never pays for
    an HTTP client it does not use."""

    def __init__(self, build: Callable[[], Supplier]) -> None:
        self._build = build

    def __getattr__(self, name: str) -> Any:
        return getattr(self._build(), name)


class App:
    """Everything a function needs, each part built on first use and then kept for the life of the
    instance (serverless instances serve many requests). Pass adapters to override (tests), and
    the messenger once, here: every notification, turn and reconciler pass of the app uses it."""

    def __init__(self, settings: Settings, *, rpc: Rpc | None = None, kv: KV | None = None,
                 supplier: Supplier | None = None, model: LanguageModel | None = None, metrics: Metrics | None = None,
                 messenger: Messenger | None = None) -> None:
        from shared.services.acks import AckBuffer

        self.settings = settings
        self.sandbox: Any = None
        self._built: dict[str, Any] = {"rpc": rpc, "kv": kv, "supplier": supplier, "model": model,
                                       "metrics": metrics, "messenger": messenger}
        self._lock = threading.RLock()  # builds nest (pipeline → deps → shop → orders → rpc)
        # send results of this instance, waiting for its next store call (a turn, a reconciler
        # pass) and flushed by close(): shared by the pipeline and every reconcile of the instance
        self.acks = AckBuffer()

    def _once(self, name: str, build: Callable[[], T]) -> T:
        part = self._built.get(name)
        if part is None:
            with self._lock:
                part = self._built.get(name)
                if part is None:
                    part = self._built[name] = build()
        return part  # type: ignore[no-any-return]

    # -- adapters -----------------------------------------------------------------------------------

    @property
    def rpc(self) -> Rpc:
        return self._once("rpc", lambda: build_rpc(self.settings))

    @property
    def kv(self) -> KV:
        return self._once("kv", lambda: build_kv(self.settings))

    @property
    def supplier(self) -> Supplier:
        def build() -> Supplier:
            supplier, self.sandbox = build_supplier(self.settings)
            return supplier

        return self._once("supplier", build)

    @property
    def store(self) -> Store:
        from shared.adapters.store import SqlStore

        s = self.settings
        return self._once("store", lambda: SqlStore(self.rpc, lease_seconds=s.turn_lease_seconds,
                                                    history_limit=s.history_limit, timezone=s.timezone))

    @property
    def catalog(self) -> Catalog:
        from shared.adapters.catalog_store import SqlCatalog

        return self._once("catalog", lambda: SqlCatalog(self.rpc))

    @property
    def orders(self) -> Orders:
        from shared.adapters.orders_store import SqlOrders

        s = self.settings
        return self._once("orders", lambda: SqlOrders(self.rpc, quote_ttl_seconds=s.quote_ttl_seconds,
                                                      duplicate_seconds=s.duplicate_window_seconds))

    @property
    def messenger(self) -> Messenger | None:
        """The messenger passed in, else the Cloud API one (pywa) when WHATSAPP_TOKEN and
        WHATSAPP_PHONE_ID are set, else ``None`` (messages wait in the outbox)."""
        return self._once("messenger", self._build_messenger) or None

    @messenger.setter
    def messenger(self, value: Messenger | None) -> None:
        self._built["messenger"] = value

    def _build_messenger(self) -> Any:
        s = self.settings
        if s.whatsapp_token is None or s.whatsapp_phone_id is None:
            log.info("messenger: none (WHATSAPP_TOKEN / WHATSAPP_PHONE_ID not set)")
            return False  # built: there is none
        import httpx

        from shared.adapters.http import tls_context
        from shared.adapters.whatsapp.messenger import CloudMessenger

        log.info("messenger: WhatsApp Cloud API at %s (v%s)", s.whatsapp_api_base_url, s.whatsapp_api_version)
        http = httpx.Client(timeout=s.whatsapp_timeout_seconds, verify=tls_context())
        return CloudMessenger(http, phone_id=s.whatsapp_phone_id, token=s.whatsapp_token.get_secret_value(),
                              base_url=s.whatsapp_api_base_url, api_version=s.whatsapp_api_version,
                              template_name=s.whatsapp_template_name, template_language=s.whatsapp_template_language)

    @property
    def metrics(self) -> Metrics:
        from shared.adapters.metrics import PrometheusMetrics

        return self._once("metrics", PrometheusMetrics)

    # -- services -----------------------------------------------------------------------------------

    @property
    def shop(self) -> Shop:
        """Payments, fulfilment and notifications (sent through the app's messenger)."""
        from shared.services.shop import MoneySettings, Notifier, Shop

        def build() -> Shop:
            s = self.settings
            money = MoneySettings(
                qris_fee_payer=s.qris_fee_payer, qris_ttl_seconds=s.qris_ttl_seconds,
                pending_notice_seconds=s.pending_notice_seconds, escalate_after_seconds=s.escalate_after_seconds,
                resubmit_after_seconds=s.resubmit_after_seconds, check_after_seconds=s.check_after_seconds,
                low_balance_threshold=s.low_balance_threshold, catalog_sync_minutes=s.catalog_sync_minutes,
                admin_wa_ids=s.admin_wa_ids, deposit_min=s.deposit_min_amount, deposit_max=s.deposit_max_amount,
                recheck_finished_hours=s.recheck_finished_hours)
            supplier = self._built.get("supplier") or _Deferred(lambda: self.supplier)
            return Shop(self.orders, supplier, Notifier(self.orders, self.store, self.messenger),  # type: ignore[arg-type]
                        money, timezone=s.timezone)

        return self._once("shop", build)

    @property
    def agent(self) -> Agent | None:
        """The model agent over the failover chain, or ``None`` (rules only) without keys."""
        return self._once("agent", self._build_agent) or None

    def _build_agent(self) -> Any:
        backend = self.settings.model_backend()
        log.info("model: %s (%s)", backend.kind, backend.reason)
        if backend.kind != "gemini":
            return False  # built: there is none
        from shared.adapters.gemini import GeminiModel
        from shared.services.conversation.agent import Agent
        from shared.services.failover import ModelChain, build_chain

        s = self.settings
        model = self._built.get("model") or GeminiModel(base_url=s.gemini_base_url, timeout=s.gemini_timeout_seconds)
        links = build_chain(s.gemini_api_keys, s.gemini_model, s.gemini_fallback_model)
        chain = ModelChain(model, links, self.kv, metrics=self.metrics, call_seconds=s.gemini_timeout_seconds)
        return Agent(chain, shop_name=s.shop_name, history=s.model_history_messages)

    @property
    def deps(self) -> Deps:
        """What a conversation turn needs."""
        from shared.services.conversation.context import Deps, Limits

        def build() -> Deps:
            s = self.settings
            limits = Limits(rate_per_minute=s.rate_limit_per_minute, daily_tokens=s.daily_token_budget,
                            quote_ttl_minutes=max(1, s.quote_ttl_seconds // 60), shop_name=s.shop_name)
            return Deps(catalog=self.catalog, orders=self.orders, shop=self.shop, limits=limits, agent=self.agent,
                        metrics=self.metrics)

        return self._once("deps", build)

    @property
    def pipeline(self) -> Pipeline:
        """The turn pipeline, sending through the app's messenger."""
        from shared.services.pipeline import Pipeline

        if self.messenger is None:
            raise RuntimeError("the turn pipeline needs a messenger: App(settings, messenger=...)")
        return self._once("pipeline", lambda: Pipeline(self.store, self.deps, self.messenger, acks=self.acks,
                                                       lease_seconds=self.settings.turn_lease_seconds))

    def handle_whatsapp(self, update: Any) -> Any:
        """Handle one webhook body's updates (:mod:`shared.services.inbound`); raises
        :class:`shared.errors.StoreUnavailable` when something could not be recorded."""
        from shared.services import inbound

        s = self.settings
        pipeline = self.pipeline if update.messages else None
        return inbound.handle(update, pipeline=pipeline, store=self.store, quiet_seconds=s.seller_takeover_minutes * 60,
                              template=bool(s.whatsapp_template_name))

    def callback_username(self) -> str:
        """The Atlantic username callbacks are signed with (the sandbox's own in sandbox mode)."""
        if self.settings.atlantic_username:
            return self.settings.atlantic_username
        self.supplier  # noqa: B018  (starts the sandbox when that is the supplier)
        return self.sandbox.engine.settings.username if self.sandbox is not None else ""

    def reconcile(self) -> dict[str, int]:
        """One reconciler pass (catalog re-sync included when due). It first records this
        instance's buffered send results, so the outbox sweep never resends a message that went
        out; with a messenger, it also answers conversations whose turn died (stale turns)."""
        from shared.services.catalog import sync_catalog
        from shared.services.reconcile import reconcile_once

        acks = self.acks.take()
        if acks:
            try:
                self.store.ack_outbox(acks)
            except Exception:
                self.acks.put_back(acks)
                raise
        pipeline = self.pipeline if self.messenger is not None else None
        return reconcile_once(self.shop, sync_catalog=lambda: sync_catalog(self.supplier, self.catalog),
                              store=self.store, pipeline=pipeline)

    def flush(self) -> None:
        """Record buffered send results now (a message that went out is never sent again)."""
        acks = self.acks.take()
        if acks and self._built.get("rpc") is not None:
            try:
                self.store.ack_outbox(acks)
            except Exception:  # shutting down: the outbox sweep resends what stays pending
                log.exception("could not record %d send result(s)", len(acks))

    def close(self) -> None:
        self.flush()
        for name in ("rpc", "kv", "supplier", "messenger"):
            adapter = self._built.get(name)
            if adapter and hasattr(adapter, "close"):
                adapter.close()
        if self.sandbox is not None:
            self.sandbox.close()


_app: App | None = None
_app_lock = threading.Lock()


def bootstrap(settings: Settings | None = None, **overrides: Any) -> App:
    """A new :class:`App` (settings read from the environment when not given)."""
    from shared import logs

    settings = settings or Settings()
    logs.configure(settings.log_level, settings.log_format, settings.secret_values())
    return App(settings, **overrides)


def app() -> App:
    """This instance's :class:`App`, created on the first call. Its buffered send results are
    recorded when the process exits (functions-framework's gunicorn exits workers cleanly on SIGTERM)."""
    global _app
    with _app_lock:
        if _app is None:
            _app = bootstrap()
            import atexit

            atexit.register(_flush_at_exit)
        return _app


def _flush_at_exit() -> None:
    if _app is not None:
        _app.flush()


def use(instance: App | None) -> None:
    """Make ``instance`` this process's :class:`App` (tests and the demo pass their own)."""
    global _app
    with _app_lock:
        _app = instance
