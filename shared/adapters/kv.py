"""What both KV adapters share: key prefixing."""

from __future__ import annotations


class PrefixedKV:
    """Base of the KV adapters: every key gets ``prefix``."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix

    def _k(self, key: str) -> str:
        return self._prefix + key
