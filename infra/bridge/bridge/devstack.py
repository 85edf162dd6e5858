"""``make dev``: the whole stack on this machine, behind one WhatsApp-like page.

Starts, with no credentials (embedded Postgres and Redis unless DATABASE_URL / REDIS_URL are set):
the Atlantic sandbox (in this process, its callbacks pointed at the local ``atlantic_webhook``),
``whatsapp_webhook``, ``atlantic_webhook`` and ``reconciler`` under functions-framework (each on its
own port, as Cloud Functions would run them), a scheduler calling the reconciler every few seconds
(Cloud Scheduler's part), and the bridge with its ``webphone`` session. Then it prints one URL.

Everything takes the real path: page → bridge → signed webhook → function → pywa → the bridge's
Graph API → page. Ctrl-C stops it all.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[3]
BRIDGE_DIR = ROOT / "infra" / "bridge"
FUNCTIONS = ("whatsapp_webhook", "atlantic_webhook", "reconciler")
PHONE_ID = "100000000000001"
RECONCILE_SECONDS = 3.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} while starting")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer on {url} within {timeout:.0f} s")


class Stack:
    def __init__(self, env: dict[str, str] | None = None, *, quiet: bool = False) -> None:
        self.env = dict(os.environ if env is None else env)
        self.quiet = quiet
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.sandbox: Any = None
        self._stop = threading.Event()
        self.url = ""

    def _backends(self) -> dict[str, str]:
        """Embedded Postgres / Redis for what neither the environment nor .env configures; this
        process holds them for as long as the stack runs (the children connect to them)."""
        from shared.config import read_env_file

        given = read_env_file(ROOT / ".env") | {k.lower(): v for k, v in self.env.items() if v}
        data_dir = Path(given.get("data_dir") or ROOT / ".data")
        env: dict[str, str] = {}
        if not (given.get("database_url") or given.get("supabase_url")):
            from shared.adapters.embedded import postgres_uri

            env["DATABASE_URL"] = postgres_uri(data_dir)
        if not (given.get("redis_url") or given.get("upstash_redis_rest_url")):
            from shared.adapters.embedded import redis_url

            env["REDIS_URL"] = redis_url(data_dir)
        return env

    def start(self) -> "Stack":
        from shared.bootstrap import start_sandbox
        from shared.config import Settings

        common = {**self.env, **self._backends(), "PYTHONPATH": os.pathsep.join([str(ROOT), str(BRIDGE_DIR)]),
                  "APP_ENV": "local"}
        ports = {name: free_port() for name in FUNCTIONS}
        bridge_port = int(self.env.get("BRIDGE_PORT") or 8090)
        secret, token = secrets.token_hex(16), secrets.token_hex(16)
        self.sandbox = start_sandbox(Settings(sandbox_callback_url=f"http://127.0.0.1:{ports['atlantic_webhook']}/",
                                              sandbox_trx_delay_seconds=2))
        engine = self.sandbox.engine.settings
        common |= {
            "ATLANTIC_BASE_URL": self.sandbox.url, "ATLANTIC_API_KEY": engine.api_key,
            "ATLANTIC_USERNAME": engine.username,
            "WHATSAPP_TOKEN": token, "WHATSAPP_APP_SECRET": secret, "WHATSAPP_VERIFY_TOKEN": secrets.token_hex(8),
            "WHATSAPP_PHONE_ID": PHONE_ID, "WHATSAPP_API_BASE_URL": f"http://127.0.0.1:{bridge_port}",
            "WHATSAPP_TIMEOUT_SECONDS": "30", "CHECK_AFTER_SECONDS": "2", "RESUBMIT_AFTER_SECONDS": "5",
        }
        self._run("migrate", [sys.executable, "-m", "shared", "migrate"], common, wait=True)
        self._run("catalog", [sys.executable, "-m", "shared", "sync-catalog"], common, wait=True)
        ff = [sys.executable, "-m", "functions_framework"]
        for name in FUNCTIONS:
            quiet = {"LOG_LEVEL": self.env.get("LOG_LEVEL") or "WARNING"} if name == "reconciler" else {}
            self._run(name, ff + ["--target", name, "--source", str(ROOT / "functions" / name / "main.py"),
                                  "--host", "127.0.0.1", "--port", str(ports[name])], common | quiet)
        bridge_env = common | {"BRIDGE_SESSION": "webphone", "BRIDGE_HOST": self.env.get("BRIDGE_HOST", "127.0.0.1"),
                               "BRIDGE_PORT": str(bridge_port), "PORT": "",
                               "BRIDGE_WEBHOOK_URL": f"http://127.0.0.1:{ports['whatsapp_webhook']}/",
                               "BRIDGE_WEBPHONE_PAY_URL": f"{self.sandbox.url}/sandbox/pay"}
        from shared.config import read_env_file

        configured = read_env_file(ROOT / ".env") | {k.lower(): v for k, v in self.env.items() if v}
        for key, value in {"BRIDGE_TYPING_MAX_SECONDS": "1.5", "BRIDGE_CHAT_GAP_SECONDS": "0.3"}.items():
            if not configured.get(key.lower()):  # brisk pacing for a local chat, unless .env says otherwise
                bridge_env[key] = value
        bridge = self._run("bridge", [sys.executable, "-m", "bridge"], bridge_env)
        procs = dict(self.procs)
        for name in ("whatsapp_webhook", "atlantic_webhook"):  # a GET on the reconciler would run a pass
            _wait(f"http://127.0.0.1:{ports[name]}/", procs[name], name)
        self.url = f"http://127.0.0.1:{bridge_port}/"
        _wait(self.url + "healthz", bridge, "the bridge")
        self.reconciler_url = f"http://127.0.0.1:{ports['reconciler']}/"
        threading.Thread(target=self._schedule, name="scheduler", daemon=True).start()
        return self

    def _run(self, name: str, cmd: list[str], env: dict[str, str], *, wait: bool = False) -> subprocess.Popen:
        out = subprocess.DEVNULL if self.quiet else None
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
        if wait:
            if proc.wait() != 0:
                raise RuntimeError(f"{name} failed ({' '.join(cmd[1:])})")
        else:
            self.procs.append((name, proc))
        return proc

    def _schedule(self) -> None:
        with httpx.Client(timeout=60) as http:
            while not self._stop.wait(RECONCILE_SECONDS):
                try:
                    http.post(self.reconciler_url)
                except httpx.HTTPError:
                    pass

    def dead(self) -> str | None:
        return next((name for name, p in self.procs if p.poll() is not None), None)

    def stop(self) -> None:
        self._stop.set()
        for _, proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for _, proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.sandbox is not None:
            self.sandbox.close()


def main() -> int:
    stack = Stack()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        stack.start()
        print(f"\n  Bot Jual WA, local: open {stack.url}\n", flush=True)
        while not done.wait(1.0):
            dead = stack.dead()
            if dead:
                print(f"make dev: {dead} stopped; stopping everything", file=sys.stderr)
                return 1
        return 0
    except RuntimeError as exc:
        print(f"make dev: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
