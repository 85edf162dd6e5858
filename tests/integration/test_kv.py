"""The KV port: the same behaviour over redis-py and over Upstash's REST protocol.

The Upstash adapter is built by bootstrap exactly as production builds it, pointed at the
REST stand-in in tests/fakes, which runs every command on the real Redis.
"""

from __future__ import annotations

import json
import uuid
from typing import Iterator

import pytest

from shared.adapters.redis_kv import RedisKV
from shared.bootstrap import build_kv
from shared.config import Settings
from shared.errors import KVUnavailable
from tests.fakes.upstash import UpstashStandIn

TOKEN = "test-upstash-token-0123456789"


@pytest.fixture(scope="module")
def upstash(redis_url: str) -> Iterator[UpstashStandIn]:
    with UpstashStandIn(redis_url, TOKEN) as api:
        yield api


def production_like_upstash(url: str, *, token: str = TOKEN, timeout: float = 2.0, prefix: str):  # type: ignore[no-untyped-def]
    settings = Settings(
        _env_file=None,
        upstash_redis_rest_url=url,
        upstash_redis_rest_token=token,
        kv_timeout_seconds=timeout,
        kv_prefix=prefix,
    )
    assert settings.kv_backend().kind == "upstash"
    return build_kv(settings)


@pytest.fixture(params=["redis", "upstash"])
def kv(request: pytest.FixtureRequest, redis_url: str):  # type: ignore[no-untyped-def]
    prefix = f"t{uuid.uuid4().hex[:10]}:"
    if request.param == "redis":
        adapter = build_kv(Settings(_env_file=None, redis_url=redis_url, kv_prefix=prefix))
        assert isinstance(adapter, RedisKV)
    else:
        adapter = production_like_upstash(request.getfixturevalue("upstash").url, prefix=prefix)
    yield adapter
    adapter.close()


def test_get_set_delete_round_trip(kv) -> None:  # type: ignore[no-untyped-def]
    assert kv.get("missing") is None
    assert kv.set("greeting", "halo kak 👋") is True
    assert kv.get("greeting") == "halo kak 👋"
    assert kv.mget(["greeting", "missing"]) == ["halo kak 👋", None]
    assert kv.delete("greeting", "missing") == 1
    assert kv.get("greeting") is None


def test_set_nx_only_writes_once(kv) -> None:  # type: ignore[no-untyped-def]
    assert kv.set("lock", "a", nx=True, ttl=30) is True
    assert kv.set("lock", "b", nx=True, ttl=30) is False
    assert kv.get("lock") == "a"


def test_upstash_adapter_speaks_the_rest_protocol_with_base64_and_bearer(upstash) -> None:  # type: ignore[no-untyped-def]
    kv = production_like_upstash(upstash.url, prefix="proto:")
    before = len(upstash.requests)
    kv.set("k", "v")
    kv.get("k")
    sent = upstash.requests[before:]
    assert len(sent) == 2  # one HTTP request (one billed command) per call
    assert all(r["path"] == "/" for r in sent)
    assert all(r["headers"]["authorization"] == f"Bearer {TOKEN}" for r in sent)
    assert all(r["headers"]["upstash-encoding"] == "base64" for r in sent)
    assert json.loads(sent[1]["body"]) == ["GET", "proto:k"]


def test_upstash_wrong_token_is_a_kv_failure(upstash) -> None:  # type: ignore[no-untyped-def]
    kv = production_like_upstash(upstash.url, token="wrong-token-wrong-token", prefix="auth:")
    with pytest.raises(KVUnavailable):
        kv.get("anything")


def test_upstash_times_out_once_without_the_sdk_retry(upstash) -> None:  # type: ignore[no-untyped-def]
    kv = production_like_upstash(upstash.url, timeout=0.3, prefix="slow:")
    before = len(upstash.requests)
    upstash.delay = 1.0
    try:
        with pytest.raises(KVUnavailable):
            kv.get("slow")
    finally:
        upstash.delay = 0.0
    assert len(upstash.requests) - before == 1  # rest_retries=0: no second attempt after a 3 s sleep


def test_unreachable_redis_is_a_kv_failure() -> None:
    kv = build_kv(Settings(_env_file=None, redis_url="redis://127.0.0.1:1/0", kv_timeout_seconds=0.5))
    with pytest.raises(KVUnavailable):
        kv.get("x")


def test_the_stand_in_serves_pipeline_and_multi_exec_like_upstash(upstash) -> None:  # type: ignore[no-untyped-def]
    from upstash_redis import Redis

    client = Redis(url=upstash.url, token=TOKEN, rest_retries=0, allow_telemetry=False)
    pipe = client.pipeline()
    pipe.set("pipe:a", "1")
    pipe.incr("pipe:a")
    pipe.get("pipe:a")
    assert pipe.exec() == [True, 2, "2"]

    tx = client.multi()
    tx.set("pipe:b", "x")
    tx.get("pipe:b")
    assert tx.exec() == [True, "x"]
    assert upstash.requests[-1]["path"] == "/multi-exec"
    assert any(r["path"] == "/pipeline" for r in upstash.requests)
    client.delete("pipe:a", "pipe:b")
