"""What both KV adapters share: key prefixing and the counter script."""

from __future__ import annotations

from typing import Any, Sequence

# INCR and, for a new counter, EXPIRE: one command, so a counter can never be left without a TTL.
INCR_WITH_TTL = """
local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return v
"""


class PrefixedKV:
    """Base of the KV adapters: every key gets ``prefix``; subclasses implement ``eval`` & co."""

    def __init__(self, prefix: str = "") -> None:
        self._prefix = prefix

    def _k(self, key: str) -> str:
        return self._prefix + key

    def eval(self, script: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        raise NotImplementedError

    def incr(self, key: str, *, ttl: int) -> int:
        return int(self.eval(INCR_WITH_TTL, [key], [ttl]))
