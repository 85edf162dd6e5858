"""The ports: what services need from the outside world, as Protocols.

Adapters in ``shared/adapters`` implement them; ``shared/bootstrap`` picks which. Services depend
on these names only. Later issues add MediaStore and Queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence

if TYPE_CHECKING:  # annotations only: importing the ports costs a cold start nothing
    from shared.domain import supplier as sp
    from shared.domain.catalog import CatalogStats, ProductHit, SyncResult
    from shared.domain.ledger import Posting, PostingKind, RecordedEvent
    from shared.domain.llm import ModelReply, ModelRequest
    from shared.domain.orders import Confirmation, Order, Payment
    from shared.domain.search import SearchQuery
    from shared.domain.turns import (DeliveryStatus, InboundMessage, Lease, OutboundMessage, OutboxAck, OutboxItem,
                                     SellerEcho, TurnEnd, TurnStart)


class Rpc(Protocol):
    """A way to call our SQL functions by name with named arguments (a data transport).

    Implementations: psycopg (``adapters.postgres``) and PostgREST over httpx
    (``adapters.supabase``). Both raise the exceptions of :mod:`shared.errors`.
    """

    name: str

    def call(self, fn: str, params: Mapping[str, Any]) -> Any:
        """Run ``public.<fn>(k => v, ...)`` and return its JSON result as Python values."""
        ...

    def close(self) -> None: ...


class Store(Protocol):
    """Every state change of the product; one SQL function (one round trip) per method."""

    def begin_turn(
        self, msg: InboundMessage, *, acks: Sequence[OutboxAck] = ()
    ) -> TurnStart: ...

    def end_turn(
        self,
        conversation_id: int,
        lease_token: str,
        state: Mapping[str, Any],
        outbound: Sequence[OutboundMessage] = (),
        *,
        acks: Sequence[OutboxAck] = (),
    ) -> TurnEnd: ...

    def ack_outbox(self, acks: Sequence[OutboxAck]) -> int: ...

    def record_statuses(self, statuses: Sequence[DeliveryStatus]) -> dict[str, int]:
        """Apply WhatsApp delivery statuses to the outbox; returns ``applied`` / ``unknown`` counts."""
        ...

    def record_echo(self, echo: SellerEcho, *, quiet_seconds: int) -> str:
        """Store what the seller typed to a customer and keep the bot quiet for them for
        ``quiet_seconds``; returns ``stored`` or ``duplicate``."""
        ...

    def extend_lease(self, conversation_id: int, lease_token: str) -> Lease:
        """Keep a running turn's lease (raises :class:`shared.errors.LeaseLost` once taken over)."""
        ...

    def claim_stale_turns(self, *, older_than: int = 60, limit: int = 20) -> list[TurnStart]:
        """Lease conversations whose messages waited ``older_than`` seconds with no turn running."""
        ...

    def post_ledger(
        self,
        customer_id: int,
        kind: PostingKind,
        amount: int,
        key: str,
        *,
        order_id: int | None = None,
        payment_id: int | None = None,
        note: str | None = None,
    ) -> Posting: ...

    def record_event(
        self, source: str, key: str, payload: Mapping[str, Any]
    ) -> RecordedEvent: ...

    def mark_event_applied(self, event_id: int, *, error: str | None = None, retry: bool = True) -> None: ...


class Catalog(Protocol):
    """The products we sell: synced from the supplier, priced by the seller's rules, searched."""

    def sync(self, rows: Sequence[Mapping[str, Any]], types: Sequence[str], *, force: bool = False) -> SyncResult:
        """Upsert normalized rows of the listed price-list types; mark the rest of them unavailable.
        Raises :class:`shared.errors.CatalogShrank` for a suspiciously short list unless ``force``."""
        ...

    def search(self, query: SearchQuery, *, limit: int = 10) -> list[ProductHit]: ...

    def stats(self) -> CatalogStats: ...


class Orders(Protocol):
    """The order state machine, payments, and the reconciler's claims (``adapters.orders_store``).

    Prices always come from ``products``; every transition checks the current state, so replays
    are harmless; money moves only through the ledger.
    """

    def reserve_ref(self) -> str: ...

    def create_quote(self, customer_id: int, product_code: str, target: str, *, replace_ref: str | None = None,
                     batch: str | None = None, ref: str | None = None, bill: dict[str, Any] | None = None) -> Order: ...

    def confirm(self, customer_id: int, refs: Sequence[str], *, method: str = "saldo") -> Confirmation: ...

    def cancel(self, customer_id: int, ref: str) -> Order: ...

    def recent(self, customer_id: int, *, ref: str | None = None, limit: int = 3) -> list[Order]: ...

    def ledger(self, customer_id: int, *, limit: int = 5) -> list[dict[str, Any]]: ...

    def customer_lang(self, customer_id: int) -> str:
        """The language the customer writes in (``id`` | ``en``), for notices outside a turn."""
        ...

    def find(self, *, ref: str | None = None, atlantic_id: str | None = None) -> Order | None: ...

    def create_payment(self, customer_id: int, kind: str, method: str, amount: int, fee: int, fee_payer: str,
                       refs: Sequence[str] = ()) -> Payment: ...

    def attach_deposit(self, payment_ref: str, atlantic_id: str, *, qr_string: str | None, url: str | None,
                       expires_at: Any, payload: dict[str, Any] | None = None) -> Payment: ...

    def settle_payment(self, payment_ref: str, status: str, *, net: int | None = None) -> Payment: ...

    def find_payment(self, *, ref: str | None = None, atlantic_id: str | None = None) -> Payment | None: ...

    def start_processing(self, ref: str, *, resubmit: bool = False) -> Order: ...

    def record_submission(self, ref: str, atlantic_id: str | None, supplier_status: str | None) -> Order: ...

    def finish(self, ref: str, status: str, *, sn: str | None = None, reason: str | None = None,
               atlantic_id: str | None = None) -> Order: ...

    def expire_quotes(self) -> int: ...

    # The reconciler's claims: each row to one reconciler at a time; ``lease`` seconds before a
    # leased row may be claimed again, ``min_age`` seconds it must have waited, ``window`` how far back.

    def claim_payments(self, *, limit: int = 50, lease: int = 60, min_age: int = 30) -> list[Payment]:
        """Pending checkouts to poll at Atlantic."""
        ...

    def claim_submissions(self, *, limit: int = 50, lease: int = 60, min_age: int = 30) -> list[Order]:
        """Paid orders to submit, and processing ones without an Atlantic id to resubmit."""
        ...

    def claim_checks(self, *, limit: int = 50, lease: int = 60, min_age: int = 30) -> list[Order]:
        """Processing orders to ask Atlantic about."""
        ...

    def claim_pending_notices(self, *, limit: int = 50, min_age: int = 30) -> list[Order]:
        """Processing orders whose customer is told "masih diproses" (each once)."""
        ...

    def claim_escalations(self, *, limit: int = 50, min_age: int = 30) -> list[Order]:
        """Processing orders handed to the admins (each once)."""
        ...

    def claim_rechecks(self, *, limit: int = 50, min_age: int = 30, window: int = 86400) -> list[Order]:
        """Finished orders, re-checked once each (a reversal shows up here)."""
        ...

    def claim_events(self, *, limit: int = 50, lease: int = 60, min_age: int = 30,
                     window: int = 86400) -> list[dict[str, Any]]:
        """Atlantic callbacks that could not be verified yet."""
        ...

    def claim_job(self, name: str, every_seconds: int) -> bool: ...

    def enqueue(self, items: Sequence[dict[str, Any]]) -> list[OutboxItem]: ...

    def claim_outbox(self, *, limit: int = 50, older_than: int = 60, lease: int = 120) -> list[OutboxItem]:
        """Pending outbox rows whose sender is presumed gone, in order per customer."""
        ...

    def claim_failed_outbox(self, *, limit: int = 50) -> list[tuple[OutboxItem, dict[str, Any]]]:
        """Rows that ended failed, each once, with ``error_code`` / ``error`` / ``attempts``."""
        ...


class LanguageModel(Protocol):
    """A chat model with tool calling, addressed per (key, model) link of the failover chain.

    Raises :class:`shared.errors.ModelRateLimited` (429), :class:`shared.errors.ModelUnavailable`
    (5xx, timeouts, network) or :class:`shared.errors.ModelRefused` (a bad key or request).
    """

    def generate(self, request: ModelRequest, *, key: str, model: str) -> ModelReply: ...


class Metrics(Protocol):
    """Counters for dashboards (Prometheus); never raises into a turn."""

    def inc(self, name: str, **labels: str) -> None: ...


class Messenger(Protocol):
    """Delivers outbox rows to the customer.

    ``send`` returns the message id the channel gave the row, or raises
    :class:`shared.errors.MessengerError` (its subclass says whether to retry, fail or hold the
    row). ``typing`` marks a customer's message read and shows the typing indicator while a turn
    works on it; it never raises."""

    def send(self, item: OutboxItem) -> str: ...

    def typing(self, wamid: str) -> None: ...


class KV(Protocol):
    """A small key-value store for what may be lost: caches, rate limits, breaker counters.

    Values are strings. Every method is one round trip (one billed command on Upstash). Errors are
    :class:`shared.errors.KVUnavailable`; callers decide whether to degrade or fail.
    """

    name: str

    def get(self, key: str) -> str | None: ...

    def mget(self, keys: Sequence[str]) -> list[str | None]: ...

    def set(self, key: str, value: str, *, ttl: int | None = None, nx: bool = False) -> bool:
        """Store ``value`` (expiring after ``ttl`` seconds). With ``nx``, only if absent;
        returns whether it was written."""
        ...

    def delete(self, *keys: str) -> int: ...

    def close(self) -> None: ...


class Supplier(Protocol):
    """The supplier of every product (Atlantic H2H, or its sandbox). Errors: :class:`shared.errors.SupplierError`.

    Calls that create something are sent once; on :class:`shared.errors.SupplierUnavailable` the
    outcome is unknown and must be settled by a status call or a callback, never assumed.
    """

    def worst_case_seconds(self, *, read: bool) -> float:
        """The longest one call may take (a turn keeps its lease at least that long)."""
        ...

    def profile(self) -> sp.Profile: ...

    def price_list(self, type: str = "prabayar", code: str | None = None) -> list[sp.PriceItem]: ...

    def create_transaction(
        self, code: str, reff_id: str, target: str, *, limit_price: int | None = None
    ) -> sp.Transaction: ...

    def transaction_status(self, id: str, type: str = "prabayar") -> sp.Transaction: ...

    def bill_inquiry(self, code: str, reff_id: str, customer_no: str) -> sp.Bill: ...

    def pay_bill(self, code: str, reff_id: str, customer_no: str) -> sp.BillPayment: ...

    def deposit_methods(self, type: str | None = None, method: str | None = None) -> list[sp.DepositMethod]: ...

    def create_deposit(
        self, reff_id: str, amount: int, method: str, *, type: str = "ewallet", phone: str | None = None
    ) -> sp.Deposit: ...

    def deposit_status(self, id: str) -> sp.Deposit: ...

    def cancel_deposit(self, id: str) -> sp.Deposit: ...

    def bank_list(self) -> list[sp.Bank]: ...

    def check_account(self, bank_code: str, account_number: str) -> sp.AccountCheck: ...

    def create_transfer(
        self, ref_id: str, bank_code: str, account_number: str, owner_name: str, amount: int, *,
        email: str | None = None, phone: str | None = None, note: str | None = None,
    ) -> sp.Transfer: ...

    def transfer_status(self, id: str) -> sp.Transfer: ...

    def close(self) -> None: ...
