"""The (key, model) failover chain with a breaker shared through the KV store.

The chain is ``GEMINI_MODEL`` over each key in order, then ``GEMINI_FALLBACK_MODEL`` the same way.
Quotas belong to a Google Cloud *project*, so the breaker is per (project, model): a 429 on one
key skips every key of that project for that model.

- 429: open until the retry delay the error gives, or until midnight Pacific time for a per-day
  quota;
- 5xx, timeouts, network errors: open for 30 s, then 2 min, then 10 min on repeated failures;
- a refused key or request: open for 10 min.

The breaker lives in the KV store so every instance agrees. The happy path costs one KV command
(an MGET of the chain's breaker keys); failures write their breaker. If the KV store itself is
down, the chain runs without breakers rather than failing the turn.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Sequence
from zoneinfo import ZoneInfo

from shared.domain.llm import ModelReply, ModelRequest
from shared.errors import AllModelsDown, KVUnavailable, ModelRateLimited, ModelRefused, ModelUnavailable
from shared.ports import KV, LanguageModel, Metrics

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (30, 120, 600)
REFUSED_SECONDS = 600
PACIFIC = ZoneInfo("America/Los_Angeles")


@dataclass(frozen=True)
class Link:
    project: str
    key: str
    model: str

    @property
    def breaker(self) -> str:
        return f"brk:{self.project}:{self.model}"

    @property
    def level(self) -> str:
        return f"brkl:{self.project}:{self.model}"

    def __repr__(self) -> str:  # never show the key
        return f"Link({self.project}/{self.model})"


def build_chain(keys: Sequence[Any], model: str, fallback: str | None) -> list[Link]:
    """``keys`` are :class:`shared.config.GeminiKey` (project + secret)."""
    models = [model] + ([fallback] if fallback and fallback != model else [])
    return [Link(k.project, k.key.get_secret_value(), m) for m in models for k in keys]


def seconds_to_pacific_midnight(now: float) -> float:
    local = datetime.fromtimestamp(now, PACIFIC)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, midnight.timestamp() - now)


class ModelChain:
    def __init__(self, model: LanguageModel, links: Sequence[Link], kv: KV, *, metrics: Metrics | None = None,
                 clock: Callable[[], float] = time.time, call_seconds: float = 20.0) -> None:
        if not links:
            raise ValueError("a model chain needs at least one (key, model)")
        self.model = model
        self.call_seconds = call_seconds  # the longest one link may take (GEMINI_TIMEOUT_SECONDS)
        self.links = list(links)
        self.kv = kv
        self.metrics = metrics
        self.clock = clock
        self._keys = sorted({k for link in self.links for k in (link.breaker, link.level)})

    def _snapshot(self) -> dict[str, str | None]:
        try:
            return dict(zip(self._keys, self.kv.mget(self._keys)))
        except KVUnavailable as exc:
            log.warning("breaker state unavailable (%s): trying the chain without it", exc)
            return {}

    def _open(self, link: Link, seconds: float, reason: str, snapshot: dict[str, str | None],
              level: int | None = None) -> None:
        until = self.clock() + seconds
        snapshot[link.breaker] = str(until)
        log.warning("model failover: %s/%s open for %.0f s (%s)", link.project, link.model, seconds, reason)
        if self.metrics is not None:
            self.metrics.inc("model_failovers", project=link.project, model=link.model, reason=reason)
        try:
            self.kv.set(link.breaker, f"{until:.0f}", ttl=max(1, int(seconds)))
            if level is not None:
                self.kv.set(link.level, str(level), ttl=3600)
        except KVUnavailable as exc:
            log.warning("could not record the breaker of %s/%s: %s", link.project, link.model, exc)

    def call(self, request: ModelRequest, *, budget: Callable[[], float | None] | None = None) -> tuple[ModelReply, Link]:
        """The first link that answers. ``budget`` (seconds a turn may still wait) stops the chain
        before a link that might not answer in time: the rule engine answers instead."""
        snapshot = self._snapshot()
        failures: list[str] = []
        for link in self.links:
            if float(snapshot.get(link.breaker) or 0) > self.clock():
                continue
            left = budget() if budget is not None else None
            if left is not None and left < self.call_seconds:
                failures.append(f"no time left in the turn for {link.project}/{link.model}")
                break
            try:
                reply = self.model.generate(request, key=link.key, model=link.model)
            except ModelRateLimited as exc:
                seconds = seconds_to_pacific_midnight(self.clock()) if exc.daily else (exc.retry_after or 60)
                self._open(link, seconds, "daily_quota" if exc.daily else "rate_limited", snapshot)
                failures.append(f"{link.project}/{link.model}: 429")
            except ModelUnavailable as exc:
                level = min(int(snapshot.get(link.level) or 0) + 1, len(BACKOFF_SECONDS))
                snapshot[link.level] = str(level)
                self._open(link, BACKOFF_SECONDS[level - 1], "unavailable", snapshot, level=level)
                failures.append(f"{link.project}/{link.model}: {exc}")
            except ModelRefused as exc:
                self._open(link, REFUSED_SECONDS, "refused", snapshot)
                failures.append(f"{link.project}/{link.model}: refused ({exc})")
            else:
                if snapshot.get(link.level):
                    try:
                        self.kv.delete(link.level)  # recovered: the next outage starts at 30 s again
                    except KVUnavailable:
                        pass
                if self.metrics is not None:
                    self.metrics.inc("model_calls", project=link.project, model=link.model)
                return reply, link
        raise AllModelsDown("; ".join(failures) or "every link of the chain is open")
