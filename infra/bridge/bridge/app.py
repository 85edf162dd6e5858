"""The bridge, wired: store, session, delivery, Graph API and one HTTP server for all of it.

HTTP (BRIDGE_HOST:BRIDGE_PORT, ``$PORT`` wins):
- ``GET /livez``: 200 while the process serves HTTP (liveness: never restarts a bridge that waits for its QR);
- ``GET /healthz``: 200 ``{"status": "ok"}`` only when ok, else 503 with a reason code;
- ``GET /metrics``: Prometheus text;
- ``GET /qr`` (bearer): the login QR as a PNG (or the pairing code);
- ``GET /bridge/parked``, ``POST /bridge/replay`` (bearer): events the webhook refused (400/413);
- ``/v{N}/…`` and ``/media/download/…`` (bearer): the Graph API subset (:mod:`bridge.graph`);
- with the web phone: ``/`` (the chat page) and ``/webphone/…`` (:mod:`bridge.webphone`).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bridge import session as s
from bridge.delivery import Delivery
from bridge.events import Renderer
from bridge.graph import Graph, GraphError, Pacer, Reply
from bridge.settings import BridgeSettings
from bridge.store import Store, database_url, libpq_url
from shared.errors import StoreUnavailable

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"


class Metrics:
    """The bridge's Prometheus metrics, in a registry of its own."""

    def __init__(self, bridge: "Bridge") -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram
        from prometheus_client.core import GaugeMetricFamily

        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter("bridge_events", "Session events committed to the outbox, by kind", ["kind"], registry=r)
        self.delivered = Counter("bridge_webhook_delivered", "Events the webhook accepted (2xx)", registry=r)
        self.failures = Counter("bridge_webhook_failures", "Failed webhook posts, by HTTP status or 'network'",
                                ["reason"], registry=r)
        self.parked = Counter("bridge_webhook_parked", "Events parked after a 400 or 413", registry=r)
        buckets = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
        self.delivery_seconds = Histogram("bridge_delivery_seconds", "Event committed → webhook accepted",
                                          buckets=buckets, registry=r)
        self.post_seconds = Histogram("bridge_webhook_post_seconds", "One webhook POST, answer included",
                                      buckets=buckets, registry=r)
        self.sent = Counter("bridge_sent", "Messages sent through the Graph API, by type", ["type"], registry=r)
        self.graph_errors = Counter("bridge_graph_errors", "Graph API requests answered with an error, by code",
                                    ["code"], registry=r)

        class Live:
            def collect(self) -> Any:
                try:
                    stats = bridge.store.queue_stats()
                except StoreUnavailable:
                    stats = {}
                for name, key, doc in (("bridge_outbox_depth", "depth", "Events waiting for delivery"),
                                       ("bridge_outbox_oldest_seconds", "oldest_age", "Age of the oldest undelivered event"),
                                       ("bridge_outbox_parked", "parked", "Events parked, waiting for a replay")):
                    if key in stats:
                        yield GaugeMetricFamily(name, doc, value=stats[key])
                held = getattr(bridge.session, "_spill", None)
                if held is not None:
                    yield GaugeMetricFamily("bridge_events_in_memory",
                                            "Events waiting in memory for the outbox to be reachable", value=len(held))
                health = GaugeMetricFamily("bridge_health", "1 for the current /healthz code", labels=["code"])
                health.add_metric([bridge.health()[1]["status"]], 1)
                yield health

        r.register(Live())

    def text(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


class Bridge:
    def __init__(self, settings: BridgeSettings, *, store: Store | None = None, session: Any = None,
                 pacer: Pacer | None = None) -> None:
        self.settings = settings
        self.store = store or Store(database_url(settings)).open()
        self.metrics = Metrics(self)
        if session is None:
            if settings.bridge_session == "webphone":
                from bridge.webphone import WebPhone

                session = WebPhone(self.store, settings.bridge_display_number)
            else:
                from bridge.neonize_session import NeonizeSession

                session = NeonizeSession(settings, libpq_url(self.store.conninfo))
        self.session = session
        renderer = Renderer(settings.whatsapp_phone_id,
                            lambda: session.own_number() or settings.bridge_display_number,
                            settings.quote_ttl_seconds, self.store)
        self.delivery = Delivery(settings, self.store, session, renderer, self.metrics)
        self.graph = Graph(settings, self.store, session, self.metrics, pacer)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self, *, connect: bool = True) -> "Bridge":
        self._server = _server(self, self.settings.bridge_host, self.settings.listen_port)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="http", daemon=True)
        self._thread.start()
        self.delivery.start()
        if getattr(self.session, "name", "") == "neonize":
            self.session.start(self.delivery.outbox, connect=connect)
        else:
            self.session.start(self.delivery.outbox)
        log.info("bridge (%s session) listening on %s; webhooks to %s", self.session.name, self.url,
                 self.settings.bridge_webhook_url)
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"

    def stop(self) -> None:
        self.session.stop()
        self.delivery.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.store.close()

    # -- health -----------------------------------------------------------------------------------

    def health(self) -> tuple[int, dict[str, Any]]:
        code, detail, since = self.session.state.snapshot()
        body: dict[str, Any] = {"session": self.session.name}
        if code == s.OK:
            try:
                failing = self.store.failing_since()
            except StoreUnavailable as exc:
                log.warning("healthz: %s", exc)  # the reason stays in the log: /healthz may be public
                code, detail, failing = s.STORE_UNAVAILABLE, "the bridge's Postgres does not answer", None
            if failing is not None:
                age = (datetime.now(timezone.utc) - failing).total_seconds()
                if age > self.settings.bridge_webhook_fail_seconds:
                    code, detail = s.WEBHOOK_FAILING, f"webhook deliveries failing for {age:.0f} s"
                    since = failing.timestamp()
        body |= {"status": code, "since": datetime.fromtimestamp(since, timezone.utc).isoformat()}
        if detail:
            body["detail"] = detail
        return (200 if code == s.OK else 503), body

    # -- HTTP -------------------------------------------------------------------------------------

    def route(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        url = urlsplit(target)
        path, query = url.path, parse_qs(url.query)
        if path == "/livez":
            return Reply(200, {"status": "live"})
        if path == "/healthz":
            return Reply(*self.health())
        if path == "/metrics":
            return Reply(200, (self.metrics.text(), "text/plain; version=0.0.4; charset=utf-8"))
        webphone = getattr(self.session, "name", "") == "webphone"
        if webphone and (path in ("/", "/webphone") or path.startswith("/webphone/")):
            return self._webphone(method, path, query, raw)
        if path in ("/qr", "/bridge/parked", "/bridge/replay"):
            if not self.graph.authorized(headers):
                err = GraphError(190, "Error validating access token: send Authorization: Bearer <WHATSAPP_TOKEN>")
                return Reply(err.status, err.body())
            return self._admin(method, path, raw)
        proto = headers.get("x-forwarded-proto", "http").split(",")[0].strip()
        return self.graph.handle(method, path, headers, raw, f"{proto}://{headers.get('host', 'localhost')}")

    def _admin(self, method: str, path: str, raw: bytes) -> Reply:
        if path == "/qr":
            qr = self.session.qr()
            pair = getattr(self.session, "pair_code", None)
            if qr:
                import io

                import segno

                buf = io.BytesIO()
                segno.make_qr(qr).save(buf, kind="png", scale=8, border=4)
                return Reply(200, (buf.getvalue(), "image/png"))
            if pair:
                return Reply(200, {"pair_code": pair})
            return Reply(404, {"error": f"no QR to scan: the session is {self.session.state.code}"})
        if path == "/bridge/parked":
            return Reply(200, {"parked": self.store.parked()})
        if method != "POST":
            return Reply(405, {"error": "POST only"})
        try:
            body = json.loads(raw or b"{}")
            seqs = body.get("seqs") if isinstance(body, dict) else None
            if seqs is not None and not (isinstance(seqs, list) and all(isinstance(x, int) for x in seqs)):
                raise ValueError
        except ValueError:
            return Reply(400, {"error": "send {} to replay every parked event, or {\"seqs\": [1, 2]}"})
        replayed = self.store.replay(seqs)
        self.delivery.wake.set()
        return Reply(200, {"replayed": replayed})

    def _webphone(self, method: str, path: str, query: dict[str, list[str]], raw: bytes) -> Reply:
        from bridge.webphone import BadRequest

        phone = self.session
        try:
            if path in ("/", "/webphone"):
                return Reply(200, ((STATIC / "webphone.html").read_bytes(), "text/html; charset=utf-8"))
            if path == "/webphone/messages" and method == "GET":
                chat = (query.get("chat") or [""])[0]
                if not chat.isdigit():
                    raise BadRequest("?chat= must be the customer's number in digits")
                after = (query.get("after") or ["0"])[0]
                return Reply(200, phone.messages(chat, int(after) if after.isdigit() else 0))
            if path == "/webphone/chats" and method == "GET":
                return Reply(200, {"chats": self.store.phone_chats(), "shop": phone.own_number()})
            if path.startswith("/webphone/media/") and method == "GET":
                found = phone.media_of(path.rsplit("/", 1)[-1])
                return Reply(200, found) if found else Reply(404, {"error": "no such media"})
            if method != "POST":
                return Reply(405, {"error": "POST only"})
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise BadRequest("the body must be JSON") from None
            if path == "/webphone/send":
                return Reply(200, {"id": phone.inject(body)})
            if path == "/webphone/read":
                return Reply(200, {"read": phone.read(str((body or {}).get("chat") or ""))})
            if path == "/webphone/pay":
                return self._pay(body)
            return Reply(404, {"error": "not found"})
        except BadRequest as exc:
            return Reply(400, {"error": str(exc)})
        except StoreUnavailable as exc:
            return Reply(503, {"error": f"the bridge's store is unavailable: {exc}"})

    def _pay(self, body: Any) -> Reply:
        import httpx

        ref = str((body or {}).get("ref") or "") if isinstance(body, dict) else ""
        if not self.settings.bridge_webphone_pay_url:
            return Reply(404, {"error": "no sandbox to pay: BRIDGE_WEBPHONE_PAY_URL is not set (make dev sets it)"})
        if not ref.isalnum():
            return Reply(400, {"error": "'ref' must be the payment code (PY…)"})
        try:
            r = httpx.post(self.settings.bridge_webphone_pay_url, data={"reff_id": ref}, timeout=10)
            return Reply(r.status_code, r.json())
        except (httpx.HTTPError, ValueError) as exc:
            return Reply(502, {"error": f"the sandbox did not answer: {exc}"})


PUBLIC = ("/livez", "/healthz", "/metrics")
MAX_BODY = 1024 * 1024  # JSON requests; media uploads may be up to BRIDGE_MEDIA_MAX_MB
MAX_WEBPHONE_BODY = 24 * 1024 * 1024  # a 16 MB file, base64
MAX_REQUESTS = 64  # served at once; more get 503 instead of a thread each


def _body_limit(bridge: Bridge, path: str, headers: dict[str, str]) -> int | None:
    """How large this request's body may be, or None when it is refused before reading it (no
    bearer where one is required: nothing is buffered for a stranger)."""
    if path in PUBLIC:
        return MAX_BODY
    if getattr(bridge.session, "name", "") == "webphone" and (path in ("/", "/webphone") or path.startswith("/webphone/")):
        return MAX_WEBPHONE_BODY
    if not bridge.graph.authorized(headers):
        return None
    return (bridge.settings.bridge_media_max_mb + 1) * 1024 * 1024 if path.endswith("/media") else MAX_BODY


def _server(bridge: Bridge, host: str, port: int) -> ThreadingHTTPServer:
    slots = threading.BoundedSemaphore(MAX_REQUESTS)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = "bot-jual-wa-bridge"
        timeout = 30  # a client that stops sending gives its thread back

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("%s %s", self.address_string(), fmt % args)

        def _serve(self) -> None:
            if not slots.acquire(blocking=False):
                self._answer(Reply(503, GraphError(131016, "Service unavailable: the bridge is busy").body()))
                self.close_connection = True
                return
            try:
                self._serve_one()
            finally:
                slots.release()

        def _serve_one(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            limit = _body_limit(bridge, urlsplit(self.path).path, headers)
            if limit is None:  # refused before a byte of the body is read
                err = GraphError(190, "Error validating access token: send Authorization: Bearer <WHATSAPP_TOKEN>")
                self._answer(Reply(err.status, err.body()))
                self.close_connection = True
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= limit:
                self._answer(Reply(413 if length > limit else 400, {"error": "bad Content-Length"}))
                self.close_connection = True
                return
            raw = self.rfile.read(length) if length else b""
            try:
                reply = bridge.route(self.command, self.path, headers, raw)
            except Exception:
                log.exception("%s %s failed", self.command, self.path)
                reply = Reply(500, GraphError(131000, "Something went wrong in the bridge").body())
            self._answer(reply)

        do_GET = do_POST = _serve  # noqa: N815

        def _answer(self, reply: Reply) -> None:
            binary = isinstance(reply.body, tuple)
            data = reply.body[0] if binary else json.dumps(reply.body, ensure_ascii=False).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.body[1] if binary else "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
