"""Counters for Prometheus (``prometheus_client``), created on first use.

Services count through a tiny ``inc(name, **labels)`` interface so they import no client
library; every counter is exported as ``bjw_<name>_total``. A counter belongs to its registry, not
to one ``PrometheusMetrics``: several apps in one process (tests, a reconciler beside a webhook)
share it instead of registering it twice. Counting never fails a turn: a broken metric is logged.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

_counters: dict[tuple[int, str], Any] = {}  # (id of the registry, name) → Counter
_lock = threading.Lock()


class PrometheusMetrics:
    def __init__(self, registry: Any = None) -> None:
        self._registry = registry

    def _counter(self, name: str, labels: list[str]) -> Any:
        from prometheus_client import REGISTRY, Counter

        registry = self._registry or REGISTRY
        with _lock:
            counter = _counters.get((id(registry), name))
            if counter is None:
                counter = Counter(f"bjw_{name}", name.replace("_", " "), labels, registry=registry)
                _counters[(id(registry), name)] = counter
            return counter

    def inc(self, name: str, **labels: str) -> None:
        try:
            counter = self._counter(name, sorted(labels))
            (counter.labels(**labels) if labels else counter).inc()
        except Exception:  # a metric must never cost a customer their answer
            log.exception("counting %s failed", name)
