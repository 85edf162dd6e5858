"""The WhatsApp bridge (``python -m tests.bench bridge``): idle memory with neonize loaded, event →
webhook latency on loopback, and how fast a backlog drains after a webhook outage.

- Idle RSS: ``python -m bridge`` in its own process (neonize session: the Go library loaded, the
  client built, dialling out in backoff as on a box with no route to WhatsApp; and the web phone
  session), RSS read from /proc after it settles. Goal ≤ 150 MB.
- Event → webhook: text ``MessageEv``s through neonize's real decode path, 50 a second, timed from
  dispatch to the receiver's first byte of the signed POST. Goal p95 ≤ 20 ms.
- Drain: the receiver answers 503 while events pile up, then 200; time until all are delivered,
  for many chats (delivered in parallel, in order per chat) and for one chat (strictly serial).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.bench.common import bench_database, p95

ROUNDS = int(os.environ.get("BRIDGE_BENCH_ROUNDS", 3))
EVENTS = int(os.environ.get("BRIDGE_BENCH_EVENTS", 500))
BACKLOG = int(os.environ.get("BRIDGE_BENCH_BACKLOG", 2000))


class Receiver:
    def __init__(self) -> None:
        self.status = 200
        self.seen: dict[str, float] = {}
        self.count = 0
        me = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                at = time.perf_counter()
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if me.status == 200:
                    for e in json.loads(raw)["entry"]:
                        for c in e["changes"]:
                            for m in c["value"].get("messages", []):
                                me.seen.setdefault(m["id"], at)
                    me.count += 1
                self.send_response(me.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def idle_rss(session: str, db: str, receiver: Receiver, settle: float = 8.0) -> float:
    from shared.config import PROJECT_ROOT

    from bridge.devstack import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "WHATSAPP_"))}
    env |= {"BRIDGE_SESSION": session, "BRIDGE_PORT": str(port), "BRIDGE_WEBHOOK_URL": receiver.url,
            "WHATSAPP_APP_SECRET": "s", "WHATSAPP_TOKEN": "t", "BRIDGE_DATABASE_URL": db, "LOG_LEVEL": "ERROR",
            "PYTHONPATH": f"{PROJECT_ROOT}{os.pathsep}{PROJECT_ROOT / 'infra' / 'bridge'}"}
    proc = subprocess.Popen([sys.executable, "-m", "bridge"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(settle)
        with open(f"/proc/{proc.pid}/status") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return kb / 1024
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _bridge(db: str, receiver: Receiver) -> Any:
    from bridge.app import Bridge
    from bridge.neonize_session import NeonizeSession
    from bridge.settings import BridgeSettings
    from bridge.store import libpq_url

    s = BridgeSettings(_env_file=None, bridge_port=0, bridge_webhook_url=receiver.url, whatsapp_app_secret="s",
                       whatsapp_token="t", bridge_database_url=db, bridge_retry_base_seconds=0.2,
                       bridge_retry_max_seconds=0.5)
    return Bridge(s, session=NeonizeSession(s, libpq_url(db))).start(connect=False)


def latency(db: str) -> list[float]:
    from tests.bridge import neonize_events as ne
    from neonize.events import MessageEv
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as e2e

    receiver = Receiver()
    bridge = _bridge(db, receiver)
    try:
        sent: dict[str, float] = {}
        for i in range(EVENTS):
            mid = f"3EB0BE{time.time_ns():020d}{i:04d}"
            blob = ne.message(e2e.Message(conversation=f"pulsa {i}"), mid,
                              ne.source(sender=ne.jid(f"1{i % 50:014d}", "lid")))
            sent[mid] = time.perf_counter()
            ne.dispatch(bridge.session.client, MessageEv, blob)
            time.sleep(0.02)
        deadline = time.monotonic() + 30
        while len(receiver.seen) < EVENTS and time.monotonic() < deadline:
            time.sleep(0.05)
        return [(receiver.seen[m] - t) * 1000 for m, t in sent.items() if m in receiver.seen]
    finally:
        bridge.stop()


def drain(db: str, chats: int) -> tuple[float, int]:
    from bridge.delivery import media_id

    receiver = Receiver()
    receiver.status = 503
    bridge = _bridge(db, receiver)
    try:
        for i in range(BACKLOG):
            chat = i % chats
            pn = f"62814{chat:08d}"
            bridge.delivery.outbox.message(f"{pn}@s.whatsapp.net", {"id": f"3EB0D{media_id()}{i}", "ts": int(time.time()),
                                                                    "pn": pn, "lid": None, "name": "x", "type": "text",
                                                                    "text": f"m{i}"})
        time.sleep(0.5)
        receiver.status = 200
        started = time.perf_counter()
        deadline = time.monotonic() + 300
        while len(receiver.seen) < BACKLOG and time.monotonic() < deadline:
            time.sleep(0.02)
        return time.perf_counter() - started, len(receiver.seen)
    finally:
        bridge.stop()


def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    rss: dict[str, list[float]] = {"neonize": [], "webphone": []}
    lat: list[list[float]] = []
    many: list[float] = []
    one: list[float] = []
    for _ in range(ROUNDS):
        for session in rss:
            with bench_database() as db:
                rss[session].append(idle_rss(session, db, Receiver()))
        with bench_database() as db:
            lat.append(latency(db))
        with bench_database() as db:
            wall, n = drain(db, chats=200)
            assert n == BACKLOG, f"drain lost events: {n}/{BACKLOG}"
            many.append(n / wall)
        with bench_database() as db:
            wall, n = drain(db, chats=1)
            assert n == BACKLOG
            one.append(n / wall)
    for session, values in rss.items():
        print(f"bridge idle RSS ({session} session): median {statistics.median(values):.0f} MB "
              f"over {len(values)} runs ({', '.join(f'{v:.0f}' for v in values)}; goal <= 150 MB)")
    p95s = [p95(samples) for samples in lat]
    medians = [statistics.median(samples) for samples in lat]
    print(f"bridge event -> webhook on loopback: {EVENTS} events at 50/s; median {statistics.median(medians):.1f} ms, "
          f"p95 {statistics.median(p95s):.1f} ms (median of {len(lat)} rounds: "
          f"{', '.join(f'{v:.1f}' for v in p95s)}; goal p95 <= 20 ms)")
    print(f"bridge backlog drain after an outage: {BACKLOG} events over 200 chats at "
          f"{statistics.median(many):.0f} events/s; one chat (serial) at {statistics.median(one):.0f} events/s "
          f"(medians of {ROUNDS} rounds)")
