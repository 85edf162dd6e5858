"""An Upstash REST stand-in backed by a real Redis, for testing the Upstash KV adapter.

It speaks the parts of the protocol upstash-redis uses:

- ``POST /`` with a JSON array ``["SET", "k", "v", "EX", 60]`` → ``{"result": ...}``, or
  ``{"error": "ERR ..."}`` with HTTP 400;
- ``POST /pipeline`` with an array of commands → an array of ``{"result"}``/``{"error"}``;
- ``POST /multi-exec``: the same, run inside MULTI/EXEC;
- ``Authorization: Bearer <token>`` is required (401 ``{"error": "Unauthorized"}``);
- with ``Upstash-Encoding: base64`` bulk-string results are base64-encoded (status replies such
  as ``OK`` are not), as the SDK's decoder expects.

Commands go to Redis over a minimal RESP2 client, so status and bulk replies stay distinguishable.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from typing import Any
from urllib.parse import urlparse

from tests.fakes.http import JsonStandIn


class RedisReplyError(Exception):
    pass


class Status(str):
    """A RESP simple-string reply (``+OK``)."""


class Resp:
    """A tiny RESP2 client over TCP or a unix socket (``redis://host:port/db`` or ``unix://path``)."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme == "unix":
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._sock.connect(parsed.path)
        else:
            self._sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=5)
        self._file = self._sock.makefile("rb")
        db = (parsed.path or "/0").strip("/") if parsed.scheme != "unix" else ""
        if db and db != "0":
            self.command(["SELECT", db])

    def command(self, args: list[Any]) -> Any:
        out = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            out.append(f"${len(data)}\r\n".encode() + data + b"\r\n")
        self._sock.sendall(b"".join(out))
        return self._read()

    def _read(self) -> Any:
        line = self._file.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return Status(rest.decode())
        if kind == b"-":
            return RedisReplyError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self._file.read(size + 2)[:-2]
            return data
        if kind == b"*":
            size = int(rest)
            return None if size < 0 else [self._read() for _ in range(size)]
        raise ConnectionError(f"unexpected RESP reply {line!r}")

    def close(self) -> None:
        self._sock.close()


def _encode(value: Any, base64_encoding: bool) -> Any:
    if isinstance(value, Status):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode() if base64_encoding else value.decode()
    if isinstance(value, list):
        return [_encode(v, base64_encoding) for v in value]
    return value


def _reply(value: Any, base64_encoding: bool) -> dict[str, Any]:
    if isinstance(value, RedisReplyError):
        return {"error": str(value)}
    return {"result": _encode(value, base64_encoding)}


class UpstashStandIn(JsonStandIn):
    """``with UpstashStandIn(redis_url, token) as api: api.url`` serves the REST protocol."""

    def __init__(self, redis_url: str, token: str = "test-upstash-token") -> None:
        self.token = token
        self.requests: list[dict[str, Any]] = []
        self.delay = 0.0  # seconds to stall each answer (to test client timeouts)
        self._local = threading.local()
        self._redis_url = redis_url
        super().__init__()

    def _redis(self) -> Resp:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = Resp(self._redis_url)
        return conn

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        self.requests.append({"path": path, "headers": headers, "body": raw.decode(errors="replace")})
        if self.delay:
            time.sleep(self.delay)
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "Unauthorized"}
        b64 = headers.get("upstash-encoding", "").lower() == "base64"
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, {"error": "ERR failed to parse command"}
        redis = self._redis()
        path = path.split("?")[0].rstrip("/")
        if path == "":
            if not _is_command(body):
                return 400, {"error": "ERR failed to parse command"}
            reply = _reply(redis.command(body), b64)
            return (400 if "error" in reply else 200), reply
        if path in ("/pipeline", "/multi-exec"):
            if not isinstance(body, list) or not body or not all(_is_command(c) for c in body):
                return 400, {"error": "ERR failed to parse pipeline request"}
            if path == "/pipeline":
                return 200, [_reply(redis.command(c), b64) for c in body]
            redis.command(["MULTI"])
            queued = [redis.command(c) for c in body]
            results = redis.command(["EXEC"])
            if isinstance(results, RedisReplyError):
                errors = [q for q in queued if isinstance(q, RedisReplyError)]
                return 400, {"error": str(errors[0] if errors else results)}
            return 200, [_reply(r, b64) for r in results]
        return 404, {"error": "ERR unknown endpoint"}


def _is_command(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, (str, int, float)) for v in value)
