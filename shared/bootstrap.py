"""The one composition root: builds real or local adapters from settings, lazily, once per instance.

Functions call :func:`app` (a per-instance singleton: serverless instances are reused between
requests, so pools and clients survive). Tests and the CLI call :func:`bootstrap` with their own
settings or ready-made adapters. Nothing is built at import time, and an SDK is imported only
when its adapter is first used.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from shared.config import Settings
from shared.ports import KV, Catalog, Orders, Provider, Rpc, Store

log = logging.getLogger(__name__)


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


def build_provider(settings: Settings) -> tuple[Provider, Any]:
    """The Atlantic client, pointed at the real API or at an in-process sandbox.

    Returns the client and the sandbox it talks to (``None`` for the real API), which must be
    kept alive and stopped with the app.
    """
    from shared.adapters.atlantic import AtlanticClient

    backend = settings.provider_backend()
    log.info("provider: %s (%s)", backend.kind, backend.reason)
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


class App:
    """Everything a function needs, built on first use. Pass adapters to override (tests)."""

    def __init__(self, settings: Settings, *, rpc: Rpc | None = None, kv: KV | None = None,
                 provider: Provider | None = None, model: Any = None, metrics: Any = None) -> None:
        self.settings = settings
        self._rpc = rpc
        self._kv = kv
        self._provider = provider
        self._model = model
        self._metrics = metrics
        self.sandbox: Any = None
        self._store: Store | None = None
        self._catalog: Catalog | None = None
        self._pipeline: Any = None
        self._pipeline_messenger: Any = None
        self._lock = threading.Lock()
        from shared.services.turns import AckBuffer

        # send results of this instance, waiting for its next store call (a turn, a reconciler
        # pass) and flushed by close(): shared by every pipeline and reconcile of the instance
        self.acks = AckBuffer()

    @property
    def rpc(self) -> Rpc:
        with self._lock:
            if self._rpc is None:
                self._rpc = build_rpc(self.settings)
            return self._rpc

    @property
    def store(self) -> Store:
        if self._store is None:
            from shared.adapters.store import SqlStore

            self._store = SqlStore(
                self.rpc,
                lease_seconds=self.settings.turn_lease_seconds,
                history_limit=self.settings.history_limit,
                timezone=self.settings.timezone,
            )
        return self._store

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            from shared.adapters.catalog_store import SqlCatalog

            self._catalog = SqlCatalog(self.rpc)
        return self._catalog

    @property
    def orders(self) -> Orders:
        from shared.adapters.orders_store import SqlOrders

        return SqlOrders(self.rpc, quote_ttl_seconds=self.settings.quote_ttl_seconds,
                         duplicate_seconds=self.settings.duplicate_window_seconds)

    def shop(self, messenger: Any = None) -> Any:
        """Payments, fulfilment and notifications (sent through ``messenger`` when given)."""
        from shared.services.money import MoneySettings, Notifier, Shop

        s = self.settings
        money = MoneySettings(
            qris_fee_payer=s.qris_fee_payer, qris_ttl_seconds=s.qris_ttl_seconds,
            pending_notice_seconds=s.pending_notice_seconds, escalate_after_seconds=s.escalate_after_seconds,
            resubmit_after_seconds=s.resubmit_after_seconds, check_after_seconds=s.check_after_seconds,
            low_balance_threshold=s.low_balance_threshold, catalog_sync_minutes=s.catalog_sync_minutes,
            admin_wa_ids=s.admin_wa_ids, deposit_min=s.deposit_min_amount, deposit_max=s.deposit_max_amount,
            recheck_finished_hours=s.recheck_finished_hours)
        orders = self.orders
        return Shop(orders, self.provider, Notifier(orders, self.store, messenger), money)

    def messenger(self) -> Any:
        """How functions reach customers outside a turn. ``None`` until the WhatsApp adapter is
        configured: notifications then wait in the outbox for the reconciler's sweep."""
        return None

    def callback_username(self) -> str:
        """The Atlantic username callbacks are signed with (the sandbox's own in sandbox mode)."""
        if self.settings.atlantic_username:
            return self.settings.atlantic_username
        self.provider  # noqa: B018  (starts the sandbox when that is the provider)
        return self.sandbox.engine.settings.username if self.sandbox is not None else ""

    def reconcile(self, messenger: Any = None) -> dict[str, int]:
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
        shop = self.shop(messenger)
        pipeline = self.pipeline(messenger) if messenger is not None else None
        return reconcile_once(shop, sync_catalog=lambda: sync_catalog(self.provider, self.catalog),
                              store=self.store, pipeline=pipeline)

    @property
    def metrics(self) -> Any:
        if self._metrics is None:
            from shared.adapters.metrics import PrometheusMetrics

            self._metrics = PrometheusMetrics()
        return self._metrics

    def agent(self) -> Any:
        """The model agent over the failover chain, or ``None`` (rules only) without keys."""
        backend = self.settings.model_backend()
        log.info("model: %s (%s)", backend.kind, backend.reason)
        if backend.kind != "gemini":
            return None
        from shared.adapters.gemini import GeminiModel
        from shared.services.agent import Agent
        from shared.services.failover import ModelChain, build_chain

        model = self._model or GeminiModel(base_url=self.settings.gemini_base_url,
                                           timeout=self.settings.gemini_timeout_seconds)
        links = build_chain(self.settings.gemini_api_keys, self.settings.gemini_model,
                            self.settings.gemini_fallback_model)
        chain = ModelChain(model, links, self.kv, metrics=self.metrics,
                           call_seconds=self.settings.gemini_timeout_seconds)
        return Agent(chain, shop_name=self.settings.shop_name, history=self.settings.model_history_messages)

    def conversation(self, messenger: Any = None) -> Any:
        from shared.services.conversation import Deps, Limits

        s = self.settings
        limits = Limits(rate_per_minute=s.rate_limit_per_minute, daily_tokens=s.daily_token_budget,
                        quote_ttl_minutes=max(1, s.quote_ttl_seconds // 60), shop_name=s.shop_name,
                        model_history=s.model_history_messages)
        return Deps(catalog=self.catalog, orders=self.orders, limits=limits, agent=self.agent(),
                    shop=self.shop(messenger), metrics=self.metrics)

    def pipeline(self, messenger: Any) -> Any:
        """The turn pipeline sending through ``messenger`` (built once per messenger)."""
        from shared.services.turns import Pipeline

        with self._lock:
            if self._pipeline is not None and self._pipeline_messenger is messenger:
                return self._pipeline
        pipeline = Pipeline(self.store, self.conversation(messenger), messenger, acks=self.acks,
                            lease_seconds=self.settings.turn_lease_seconds)
        with self._lock:
            self._pipeline, self._pipeline_messenger = pipeline, messenger
        return pipeline

    @property
    def provider(self) -> Provider:
        with self._lock:
            if self._provider is None:
                self._provider, self.sandbox = build_provider(self.settings)
            return self._provider

    @property
    def kv(self) -> KV:
        with self._lock:
            if self._kv is None:
                self._kv = build_kv(self.settings)
            return self._kv

    def flush(self) -> None:
        """Record buffered send results now (a message that went out is never sent again)."""
        acks = self.acks.take()
        if acks and self._rpc is not None:
            try:
                self.store.ack_outbox(acks)
            except Exception:  # shutting down: the outbox sweep resends what stays pending
                log.exception("could not record %d send result(s)", len(acks))

    def close(self) -> None:
        self.flush()
        for adapter in (self._rpc, self._kv, self._provider, self.sandbox):
            if adapter is not None:
                adapter.close()


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
