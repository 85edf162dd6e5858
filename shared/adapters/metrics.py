"""Counters for Prometheus (``prometheus_client``), created on first use.

Services count through a tiny ``inc(name, **labels)`` interface so they import no client
library; every counter is exported as ``bjw_<name>_total``.
"""

from __future__ import annotations

import threading
from typing import Any


class PrometheusMetrics:
    def __init__(self, registry: Any = None) -> None:
        self._registry = registry
        self._counters: dict[str, Any] = {}
        self._lock = threading.Lock()

    def inc(self, name: str, **labels: str) -> None:
        with self._lock:
            counter = self._counters.get(name)
            if counter is None:
                from prometheus_client import REGISTRY, Counter

                counter = Counter(f"bjw_{name}", name.replace("_", " "), sorted(labels),
                                  registry=self._registry or REGISTRY)
                self._counters[name] = counter
        (counter.labels(**labels) if labels else counter).inc()
