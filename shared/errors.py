"""One exception tree for the whole product.

Adapters translate every SDK or driver error at their boundary (``raise X(...) from exc``), so
services and functions only ever see these classes::

    BotError
    ├── ConfigError              settings missing, malformed or contradictory (raised at start)
    ├── DomainRefusal            the request is understood and refused; retrying will not help
    │   ├── InsufficientSaldo        BJ001  a debit would make saldo negative
    │   ├── LeaseLost                BJ002  the turn's conversation lease expired and was taken over
    │   ├── NotFound                 BJ003  the customer / conversation / record does not exist
    │   ├── InvalidArgument          BJ004  a SQL function refused its input
    │   ├── IdempotencyConflict      BJ005  a caller key was reused for a different operation
    │   ├── RefundExceedsDebit       BJ006  a refund would return more than the order took
    │   ├── CatalogShrank            BJ007  a price list too short to trust would empty the shop
    │   ├── ProductNotForSale        BJ008  the product is empty or no longer sold
    │   └── AmountOutOfRange                a checkout outside its payment method's limits (fee included)
    └── ExternalFailure          something outside our code failed; often worth a retry
        ├── StoreUnavailable         Postgres / PostgREST unreachable, timed out or overloaded
        ├── StoreError               the database answered with an unexpected error (a bug)
        ├── KVUnavailable            Redis / Upstash unreachable, timed out or erroring
        ├── SupplierError            Atlantic (our supplier) answered ``status: false`` (its message is kept)
            ├── SupplierUnavailable      network error, timeout, 5xx, a non-JSON body (retryable)
            ├── SupplierBalanceInsufficient  our H2H balance cannot pay ("Saldo anda tidak cukup!")
            ├── SupplierProductUnavailable   unknown, inactive or empty at Atlantic ("Produk tidak valid")
            │   └── PriceAboveLimit          the price rose above the ``limit_price`` we sent
            ├── InvalidTarget            the number / meter / game id was refused
            ├── InvalidRequest           a field is missing or malformed; a bug on our side
            └── DuplicateReference       the ``reff_id`` was already used; the error carries no id
        └── ModelError               the language model did not answer
            ├── ModelRateLimited         429: quota per minute (retry delay) or per day
            ├── ModelUnavailable         5xx, timeout, network
            ├── ModelRefused             a bad key or a request the API refuses (4xx)
            └── AllModelsDown            every (key, model) of the chain is open or failed
        └── MessengerError           WhatsApp (the Graph API, or the bridge) did not take a message
            ├── MessengerUnavailable     network, timeout, 5xx, rate limits (130429, 131056): retry later
            ├── MessengerAuthFailed      the token is expired or revoked (190, 0, 10, 2xx): every send stops
            ├── OutsideWindow            the customer's last message is over 24 h old (131047) and no
            │                            template is configured: held until they write again
            └── MessageRejected          a permanent refusal for this message (invalid recipient 131026,
                                         bad parameter, template problems): the row is failed

The ``BJxxx`` codes are the SQLSTATEs our SQL functions raise (see ``supabase/migrations``).
Both data transports hand the SQLSTATE to :func:`from_sqlstate`, so a refusal raises the same
exception whether it came over psycopg or over PostgREST.
"""

from __future__ import annotations

import json
from typing import Any


class BotError(Exception):
    """Base of every error this product raises on purpose."""


class ConfigError(BotError):
    """Settings are missing, malformed or contradictory.

    ``problems`` holds one plain sentence per problem; ``str()`` lists them all, never a value.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} configuration problem(s):\n{lines}")


class DomainRefusal(BotError):
    """A rule refused the operation. ``sqlstate`` is set when the database raised it."""

    sqlstate: str | None = None

    def __init__(self, message: str = "", *, detail: Any = None):
        self.detail = detail
        super().__init__(message or self.__class__.__doc__ or self.__class__.__name__)


class InsufficientSaldo(DomainRefusal):
    """Saldo is not enough for this debit."""

    sqlstate = "BJ001"


class LeaseLost(DomainRefusal):
    """The conversation lease is no longer held by this turn."""

    sqlstate = "BJ002"


class NotFound(DomainRefusal):
    """The record does not exist."""

    sqlstate = "BJ003"


class InvalidArgument(DomainRefusal):
    """The input was refused by a rule."""

    sqlstate = "BJ004"


class IdempotencyConflict(DomainRefusal):
    """The idempotency key was already used for a different operation."""

    sqlstate = "BJ005"


class RefundExceedsDebit(DomainRefusal):
    """The refund would return more than the order was charged."""

    sqlstate = "BJ006"


class CatalogShrank(DomainRefusal):
    """Atlantic's price list is much shorter than what we sell; probably a glitch."""

    sqlstate = "BJ007"


class ProductNotForSale(DomainRefusal):
    """The product is out of stock (empty) or no longer sold."""

    sqlstate = "BJ008"


class AmountOutOfRange(DomainRefusal):
    """The amount is outside what this payment method takes (its min/max apply to the amount paid,
    fee included). ``detail``: ``{"method", "amount", "min", "max"}``, plus ``"net_min"`` /
    ``"net_max"`` for a deposit (the saldo that can be topped up this way)."""


class ExternalFailure(BotError):
    """Something outside our code failed. ``retryable`` says whether trying again may help."""

    retryable = True


class StoreUnavailable(ExternalFailure):
    """The database could not be reached or did not answer in time."""


class StoreError(ExternalFailure):
    """The database answered with an error that is not one of our documented refusals."""

    retryable = False

    def __init__(self, message: str, *, sqlstate: str | None = None):
        self.sqlstate = sqlstate
        super().__init__(message)


class KVUnavailable(ExternalFailure):
    """The key-value store could not be reached, timed out or answered with an error."""


REFUSALS: dict[str, type[DomainRefusal]] = {
    cls.sqlstate: cls  # type: ignore[misc]
    for cls in (
        InsufficientSaldo,
        LeaseLost,
        NotFound,
        InvalidArgument,
        IdempotencyConflict,
        RefundExceedsDebit,
        CatalogShrank,
        ProductNotForSale,
    )
}

# SQLSTATE classes that mean "the database is not there right now" rather than "your call is wrong":
# connection exceptions, insufficient resources, operator intervention (shutdown, cancel, timeout),
# and transaction rollback (a deadlock or serialization failure the transport's retries did not cure).
_UNAVAILABLE_CLASSES = ("08", "53", "57", "40")

# A deadlock or serialization failure rolled the whole call back: running it again is safe (every
# call is one transaction) and the transports do so a few times before giving up.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


def from_sqlstate(sqlstate: str | None, message: str, detail: Any = None) -> BotError:
    """Map a SQLSTATE (from psycopg or from PostgREST's error JSON) to our exception.

    Our SQL functions put a JSON object in the error's DETAIL (e.g. ``{"saldo": 5000}``); it is
    decoded into ``exc.detail`` so callers can word a reply without another query.
    """
    if isinstance(detail, str) and detail.startswith("{"):
        try:
            detail = json.loads(detail)
        except ValueError:
            pass
    if sqlstate in REFUSALS:
        return REFUSALS[sqlstate](message, detail=detail)
    if sqlstate and sqlstate[:2] in _UNAVAILABLE_CLASSES:
        return StoreUnavailable(f"{message} (SQLSTATE {sqlstate})")
    return StoreError(message, sqlstate=sqlstate)


class SupplierError(ExternalFailure):
    """Atlantic refused the call. ``message`` is Atlantic's own text; ``http_status`` its status."""

    retryable = False

    def __init__(self, message: str, *, http_status: int | None = None, endpoint: str | None = None):
        self.message = message
        self.http_status = http_status
        self.endpoint = endpoint
        where = f" ({endpoint}, HTTP {http_status})" if endpoint else ""
        super().__init__(f"{message}{where}")


class SupplierUnavailable(SupplierError):
    """Atlantic could not be reached or did not answer usefully.

    For a create call this is *ambiguous*: the request may have been carried out. Resubmit with the
    same reference and let the status endpoint or the callback decide; never treat it as failed.
    """

    retryable = True


class SupplierBalanceInsufficient(SupplierError):
    """Our Atlantic (H2H) balance cannot pay for this; top it up. Worth retrying later."""

    retryable = True


class SupplierProductUnavailable(SupplierError):
    """The product code is unknown, inactive or out of stock at Atlantic."""


class PriceAboveLimit(SupplierProductUnavailable):
    """Atlantic's price is above the ``limit_price`` we sent: the quoted cost no longer holds."""


class InvalidTarget(SupplierError):
    """The destination (phone, meter, customer or game id) was refused."""


class InvalidRequest(SupplierError):
    """A required field is missing or malformed (a bug on our side, or an unknown id)."""


class DuplicateReference(SupplierError):
    """The ``reff_id`` was used before. Atlantic's error carries no transaction id, so this is
    never a final answer about the earlier request."""


class ModelError(ExternalFailure):
    """The language model did not answer this request."""


class ModelRateLimited(ModelError):
    """HTTP 429. ``retry_after`` is the delay the API asked for; ``daily`` marks a per-day quota,
    which resets at midnight Pacific time."""

    def __init__(self, message: str, *, retry_after: float | None = None, daily: bool = False):
        self.retry_after = retry_after
        self.daily = daily
        super().__init__(message)


class ModelUnavailable(ModelError):
    """A 5xx answer, a timeout or a network error."""


class ModelRefused(ModelError):
    """The API refused the request or the key (4xx other than 429); retrying will not help soon."""

    retryable = False


class AllModelsDown(ModelError):
    """No link of the failover chain could answer; the rule engine takes over."""


class MessengerError(ExternalFailure):
    """WhatsApp did not take the message. ``code`` is the Graph API error code (``None`` for a
    network failure)."""

    permanent = False

    def __init__(self, message: str, *, code: int | None = None):
        self.code = code
        super().__init__(message)


class MessengerUnavailable(MessengerError):
    """A network error, a timeout, a 5xx, or a rate limit: send again later."""


class MessengerAuthFailed(MessengerError):
    """The token is expired, revoked or lacks permission: no message goes out until ops fix it."""


class OutsideWindow(MessengerError):
    """The customer's last message is older than 24 h and no template is configured."""


class MessageRejected(MessengerError):
    """WhatsApp refused this message for good (invalid recipient, bad parameter, template...)."""

    permanent = True
