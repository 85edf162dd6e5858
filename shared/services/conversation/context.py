"""What one conversation turn works with: its input, its dependencies, and the context the flows
write into (replies, facts, the new state).

Everything else in the package imports this module and nothing here imports them back: the flows
(:mod:`.browse`, :mod:`.buy`, :mod:`.pay`, :mod:`.account`) take a :class:`TurnContext`, the
:mod:`.agent` calls the flows, and the :mod:`.router` decides which runs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from shared.domain import replies, targets
from shared.domain.language import detect
from shared.domain.orders import Order
from shared.domain.state import ConversationState
from shared.domain.turns import Customer, OutboundMessage, StoredMessage
from shared.ports import Catalog, Metrics, Orders

if TYPE_CHECKING:
    from shared.domain.nlu import Understanding
    from shared.services.lease import TurnLease
    from shared.services.shop import Shop


class NullMetrics:
    def inc(self, name: str, **labels: str) -> None:
        pass


class TurnAgent(Protocol):
    """The model's part of a turn (:class:`shared.services.conversation.agent.Agent`): answers it
    through the turn's flows and returns whether it did."""

    def run(self, turn: Any, u: Understanding) -> bool: ...


@dataclass(frozen=True)
class Limits:
    rate_per_minute: int = 15
    daily_tokens: int = 30_000
    quote_ttl_minutes: int = 15
    shop_name: str = "Bot Jual WA"
    list_size: int = 8


@dataclass
class Deps:
    """What a turn needs; ``agent`` is ``None`` when no model is configured (rules only)."""

    catalog: Catalog
    orders: Orders
    shop: Shop  # payments, deposits, bills and fulfilment at the supplier
    limits: Limits = field(default_factory=Limits)
    agent: TurnAgent | None = None
    metrics: Metrics = field(default_factory=NullMetrics)
    clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class TurnInput:
    customer: Customer
    state: dict[str, Any]
    history: tuple[StoredMessage, ...]
    messages: tuple[StoredMessage, ...]
    usage: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)  # what the state points at, now (begin_turn)
    lease: TurnLease | None = None  # when the turn runs under a lease

    @property
    def text(self) -> str:
        """The turn's text: several messages sent in a burst are read as one."""
        return "\n".join(m.text for m in self.messages if m.text).strip()


@dataclass
class Reply:
    messages: list[OutboundMessage]
    state: dict[str, Any]
    tokens: int = 0
    facts: dict[str, Any] = field(default_factory=dict)
    fulfil: list[str] = field(default_factory=list)  # orders paid this turn, submitted after the replies


def order_facts(order: Order) -> dict[str, Any]:
    """An order as a turn's facts report it."""
    return {"ref": order.ref, "price": order.price, "status": order.status, "target": order.target}


class TurnContext:
    """One turn in progress: what it read, and the replies, facts and state it is writing."""

    def __init__(self, turn: TurnInput, deps: Deps) -> None:
        self.input = turn
        self.deps = deps
        self.now = deps.clock()
        self.state = ConversationState.load(turn.state, now=self.now)
        self.state.sync(turn.facts)
        self.state.lang = detect(turn.text, self.state.lang) if turn.text else self.state.lang
        self.words = replies.words(self.state.lang)
        self.live: dict[str, Any] = dict((turn.facts or {}).get("orders") or {})
        self.customer = turn.customer
        # payments, fulfilment and bills; supplier calls keep this turn's lease
        self.shop: Shop = deps.shop.for_turn(turn.lease) if turn.lease is not None else deps.shop
        self.out: list[OutboundMessage] = []
        self.facts: dict[str, Any] = {"path": "rules", "model_calls": 0, "prompt_chars": 0,
                                      "customer_id": turn.customer.id}
        self.tokens = 0
        self.fulfil: list[str] = []

    def say(self, text: str, **payload: Any) -> None:
        self.out.append(OutboundMessage(text=text, payload=payload))

    def act(self, action: str, **facts: Any) -> None:
        self.facts["action"] = action
        self.facts.update(facts)
        self.state.last = action

    def reply(self) -> Reply:
        return Reply(self.out, self.state.dump(), self.tokens, self.facts, self.fulfil)

    def budget(self) -> float | None:
        """Seconds this turn may still wait on a model without outliving its lease."""
        return self.input.lease.remaining() if self.input.lease is not None else None

    def own(self, raw: str | None) -> str | None:
        """A target as the customer gave it, with "nomor ini" read as their WhatsApp number."""
        return targets.self_phone(self.customer.wa_id) if raw == targets.SELF else raw

    def settled_orders(self) -> list[dict[str, Any]]:
        """The orders paid since they were quoted, as ``begin_turn`` found them (newest last)."""
        return [{"ref": ref, **self.live[ref]} for ref in self.state.settled if ref in self.live]
