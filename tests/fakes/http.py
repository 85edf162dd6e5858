"""A threaded local JSON-over-HTTP server: the base of every protocol stand-in."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class JsonStandIn:
    """Serves ``POST`` requests on 127.0.0.1 (a free port) through :meth:`handle`.

    Use as a context manager; ``url`` is the base URL. Subclasses implement
    ``handle(path, headers, raw_body) -> (status, json_body)`` (and ``handle_get`` for ``GET``);
    headers arrive lower-cased.
    """

    def __init__(self) -> None:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real services
            disable_nagle_algorithm = True  # and no delayed-ACK wait on each reply

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, body = stand_in.handle(self.path, headers, raw)
                self._answer(status, body)

            def do_GET(self) -> None:  # noqa: N802
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, body = stand_in.handle_get(self.path, headers)
                self._answer(status, body)

            def _answer(self, status: int, body: Any) -> None:
                binary = isinstance(body, tuple)  # (bytes, content type)
                data = body[0] if binary else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", body[1] if binary else "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (a timeout test)
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        raise NotImplementedError

    def handle_get(self, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        """``GET`` requests; the body may be ``(bytes, content type)`` for a download."""
        return 405, {"error": "GET not served"}

    def __enter__(self):  # type: ignore[no-untyped-def]
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
