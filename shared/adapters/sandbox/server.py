"""The sandbox over HTTP: the same protocol as atlantich2h.com, on a local port.

``Sandbox`` runs in-process (a server thread plus a ticker thread that settles payments and
delivers callbacks) for the demo and tests; ``python -m shared sandbox --port N`` runs it alone.
Requests are ``POST`` with a form-urlencoded body, exactly as Atlantic takes them. One extra
endpoint that Atlantic does not have, ``POST /sandbox/pay`` with ``id=<deposit id>`` (or ``reff_id``), plays the
customer paying a QRIS or e-wallet checkout.

``faults`` rehearses a bad network, per endpoint and consumed in order: ``"down"`` answers 500 with
an empty body without doing anything, ``"lost"`` does the work and then answers 500 (the reply is
lost on the way), ``"slow:<seconds>"`` does the work and waits before answering.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl

from shared.adapters.sandbox.engine import SandboxEngine
from shared.adapters.sandbox.records import SandboxSettings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # Atlantic's requests are small forms


class Sandbox:
    """``with Sandbox(SandboxSettings(...)) as sandbox: sandbox.url`` — a running Atlantic stand-in."""

    def __init__(self, settings: SandboxSettings | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 tick_seconds: float = 0.25, engine: SandboxEngine | None = None) -> None:
        self.engine = engine or SandboxEngine(settings or SandboxSettings())
        self.faults: dict[str, list[str]] = {}
        self._tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._http = None
        self._receive: Callable[[dict[str, str], dict[str, Any]], int] | None = None
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # answer at once on a kept-alive connection: without TCP_NODELAY each reply waits ~40 ms
            # for the client's delayed ACK (Nagle), which every sandbox call used to pay
            disable_nagle_algorithm = True

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("sandbox %s", fmt % args)

            def do_POST(self) -> None:  # noqa: N802
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if not 0 <= length <= MAX_BODY_BYTES:
                    self._answer(413 if length > MAX_BODY_BYTES else 400,
                                 {"status": False, "message": "Invalid request body"})
                    return
                raw = self.rfile.read(length)
                form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
                path = self.path.split("?")[0]
                fault = sandbox._fault(path)
                if path == "/sandbox/pay":
                    status, body = sandbox._pay(form)
                elif fault == "down":
                    status, body = 500, None
                else:
                    status, body = sandbox.engine.handle(path, form)
                    if fault == "lost":
                        status, body = 500, None
                    elif fault and fault.startswith("slow:"):
                        time.sleep(float(fault[5:]))
                self._answer(status, body)

            def _answer(self, status: int, body: dict[str, Any] | None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802  (Atlantic takes POST only)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._threads = [
            threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                             name="sandbox-http", daemon=True),
            threading.Thread(target=self._ticker, name="sandbox-ticker", daemon=True),
        ]

    def _fault(self, path: str) -> str | None:
        queue = self.faults.get(path)
        return queue.pop(0) if queue else None

    def _pay(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """``POST /sandbox/pay`` with ``id`` (Atlantic's deposit id) or ``reff_id`` (ours, the payment
        code a customer sees): the payer pays."""
        deposit_id = form.get("id") or next((d.id for d in list(self.engine.deposits.values())
                                             if form.get("reff_id") and d.reff_id == form["reff_id"]), None)
        if deposit_id not in self.engine.deposits:
            return 400, {"status": False, "message": "Deposit tidak ditemukan"}
        return 200, {"status": True, "message": "Sandbox: deposit dibayar", "data": self.pay(deposit_id)}

    def pay(self, deposit_id: str) -> dict[str, Any]:
        """Play the customer paying deposit ``deposit_id``; callbacks follow on the next tick."""
        return self.engine.pay(deposit_id)

    def deliver_in_process(self, receive: Callable[[dict[str, str], dict[str, Any]], int]) -> None:
        """Hand callbacks to ``receive(headers, body)`` in this process instead of POSTing them (the
        terminal demo has no webhook server; Atlantic's bill payments are only learned this way)."""
        self._receive = receive
        if not self.engine.settings.callback_url:
            self.engine.settings.callback_url = "inprocess:atlantic_webhook"

    def _deliver(self, url: str, headers: dict[str, str], body: dict[str, Any]) -> int:
        if self._receive is not None:
            return self._receive(headers, body)
        import httpx

        if self._http is None:
            self._http = httpx.Client(timeout=5.0)
        return self._http.post(url, headers=headers, content=json.dumps(body)).status_code

    def tick(self) -> list[dict[str, Any]]:
        """Settle what is due and deliver callbacks now (the ticker does this on its own)."""
        return self.engine.tick(self._deliver)

    def _ticker(self) -> None:
        while not self._stop.wait(self._tick_seconds):
            try:
                self.tick()
            except Exception:  # keep the sandbox alive whatever a tick meets
                log.exception("sandbox tick failed")

    def start(self) -> Sandbox:
        for thread in self._threads:
            thread.start()
        log.info("Atlantic sandbox listening on %s", self.url)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        if self._http is not None:
            self._http.close()

    close = stop

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
