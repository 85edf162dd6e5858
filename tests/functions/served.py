"""whatsapp_webhook served the way Cloud Functions serve it: functions-framework's gunicorn, one
worker with threads, in its own process, configured only through the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx

from shared.config import PROJECT_ROOT
from tests.functions.whatsapp import PHONE_ID, SECRET, TOKEN, VERIFY
from tests.world import USERNAME


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_webhook(database_url: str, redis_url: str, sandbox_url: str, graph_url: str, *, threads: int = 8,
                   log: Path | None = None, **extra: str) -> Iterator[str]:
    """Run ``functions-framework --target whatsapp_webhook`` and yield its URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WHATSAPP_", "SUPABASE_", "UPSTASH_", "GEMINI_"))}
    env.update({
        "PYTHONPATH": str(PROJECT_ROOT), "THREADS": str(threads), "WORKERS": "1", "APP_ENV": "test",
        "DATABASE_URL": database_url, "REDIS_URL": redis_url, "ATLANTIC_API_KEY": "sandbox",
        "ATLANTIC_USERNAME": USERNAME, "ATLANTIC_BASE_URL": sandbox_url, "ATLANTIC_READ_RETRIES": "0",
        "WHATSAPP_TOKEN": TOKEN, "WHATSAPP_PHONE_ID": PHONE_ID, "WHATSAPP_APP_SECRET": SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY, "WHATSAPP_API_BASE_URL": graph_url, "LOG_LEVEL": "WARNING",
        "DB_POOL_MAX_SIZE": str(threads), "RATE_LIMIT_PER_MINUTE": "600", **extra})
    cli = Path(sys.executable).parent / "functions-framework"
    out = open(log, "w") if log else subprocess.DEVNULL
    process = subprocess.Popen([str(cli), "--target", "whatsapp_webhook", "--source",
                                str(PROJECT_ROOT / "functions" / "whatsapp_webhook" / "main.py"),
                                "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=PROJECT_ROOT,
                               stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
                          timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("functions-framework did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            out.close()  # type: ignore[union-attr]


def play(url: str, conversations: dict[str, list[bytes]], *, parallel: int = 16) -> list[float]:
    """Post each customer's signed bodies in order (the next after the previous was answered),
    customers in parallel; returns every request's latency in seconds."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.functions.whatsapp import sign

    latencies: list[float] = []
    failures: list[Any] = []

    def one(bodies: list[bytes]) -> None:
        with httpx.Client(timeout=60) as client:
            for raw in bodies:
                started = time.perf_counter()
                response = client.post(url, content=raw, headers={"Content-Type": "application/json",
                                                                  "X-Hub-Signature-256": sign(raw)})
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures.append((response.status_code, response.text[:200]))

    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(one, conversations.values()))
    assert not failures, failures[:5]
    return latencies
