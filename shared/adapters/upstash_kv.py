"""KV over Upstash's REST API (upstash-redis), the production store: billed per command.

The SDK builds its httpx client with no timeout and, by default, sleeps 3 s before retrying a
failed request once. Neither fits a webhook: retries are off and the client gets a timeout.
"""

from __future__ import annotations

from typing import Any, Sequence

from shared.adapters.kv import PrefixedKV
from shared.errors import KVUnavailable


class UpstashKV(PrefixedKV):
    """Implements :class:`shared.ports.KV`; every key is prefixed with ``prefix``."""

    name = "upstash"

    def __init__(self, url: str, token: str, *, timeout: float, prefix: str = "") -> None:
        import httpx
        from upstash_redis import Redis

        super().__init__(prefix)
        self._client = Redis(url=url, token=token, rest_retries=0, allow_telemetry=False)
        # upstash-redis offers no timeout option; its httpx client (timeout=None) takes one here.
        self._client._http._client.timeout = httpx.Timeout(timeout)

    def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # UpstashError, httpx errors, a non-JSON body: all mean "no KV now"
            raise KVUnavailable(f"Upstash: {type(exc).__name__}: {exc}") from exc

    def get(self, key: str) -> str | None:
        return self._run(self._client.get, self._k(key))

    def mget(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        return list(self._run(self._client.mget, *(self._k(k) for k in keys)))

    def set(self, key: str, value: str, *, ttl: int | None = None, nx: bool = False) -> bool:
        return bool(self._run(self._client.set, self._k(key), value, ex=ttl, nx=nx or None))

    def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        return int(self._run(self._client.delete, *(self._k(k) for k in keys)))


    def close(self) -> None:
        self._client._http.close()
