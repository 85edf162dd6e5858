"""Durable delivery: outages, order per chat, parking and replay, metrics, and a SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

import httpx

from bridge.app import Bridge
from bridge.devstack import free_port
from shared.config import PROJECT_ROOT
from tests.bridge.conftest import CUSTOMER, WebhookReceiver, customer_writes, settings
from tests.functions.whatsapp import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def by_chat(receiver: WebhookReceiver) -> dict[str, list[str]]:
    texts: dict[str, list[str]] = defaultdict(list)
    for m in receiver.messages():
        texts[m["from"]].append(m["text"]["body"])
    return texts


def test_a_webhook_outage_delays_but_loses_nothing_and_keeps_each_chats_order(bridge: Bridge,
                                                                              receiver: WebhookReceiver) -> None:
    receiver.status = 503
    sent: dict[str, list[str]] = defaultdict(list)
    for i in range(12):
        who = f"62812000000{i % 3}"
        sent[who].append(f"pesan {i}")
        customer_writes(bridge, f"pesan {i}", who=who)
    receiver.wait(lambda r: r.attempts >= 6)
    assert receiver.messages() == []
    time.sleep(1.1)  # BRIDGE_WEBHOOK_FAIL_SECONDS=1 in these tests
    health = httpx.get(f"{bridge.url}/healthz")
    assert health.status_code == 503 and health.json()["status"] == "webhook_failing"
    metrics = httpx.get(f"{bridge.url}/metrics").text
    assert "bridge_outbox_depth 12.0" in metrics and 'bridge_webhook_failures_total{reason="503"}' in metrics
    receiver.status = 200
    receiver.wait(lambda r: len(r.messages()) == 12)
    assert by_chat(receiver) == sent
    assert httpx.get(f"{bridge.url}/healthz").status_code == 200
    assert receiver.bad_signatures == 0


def test_401_403_429_and_network_errors_are_retried(make_bridge: Any, receiver: WebhookReceiver) -> None:
    receiver.script = [401, 403, 429, 500]
    bridge = make_bridge()
    customer_writes(bridge, "halo")
    receiver.wait(lambda r: r.messages())
    assert receiver.attempts == 5
    text = httpx.get(f"{bridge.url}/metrics").text
    for code in ("401", "403", "429", "500"):
        assert f'bridge_webhook_failures_total{{reason="{code}"}} 1.0' in text


def test_a_refused_body_is_parked_listed_and_replayed_by_hand(bridge: Bridge, receiver: WebhookReceiver) -> None:
    receiver.script = [400, 413]
    customer_writes(bridge, "satu")
    customer_writes(bridge, "dua")
    customer_writes(bridge, "tiga")
    receiver.wait(lambda r: len(r.messages()) == 1)
    assert [m["text"]["body"] for m in receiver.messages()] == ["tiga"]  # parked ones hold nothing back
    assert httpx.get(f"{bridge.url}/bridge/parked").status_code == 401  # the bearer is required
    parked = httpx.get(f"{bridge.url}/bridge/parked", headers=AUTH).json()["parked"]
    assert [p["error"] for p in parked] == ["HTTP 400", "HTTP 413"]
    assert "bridge_outbox_parked 2.0" in httpx.get(f"{bridge.url}/metrics").text
    r = httpx.post(f"{bridge.url}/bridge/replay", headers=AUTH, json={"seqs": [parked[0]["seq"]]})
    assert r.json() == {"replayed": 1}
    receiver.wait(lambda r: len(r.messages()) == 2)
    assert httpx.post(f"{bridge.url}/bridge/replay", headers=AUTH, json={}).json() == {"replayed": 1}
    receiver.wait(lambda r: len(r.messages()) == 3)
    assert sorted(m["text"]["body"] for m in receiver.messages()) == ["dua", "satu", "tiga"]


def test_the_webhook_unreachable_is_retried_until_it_answers(make_bridge: Any, receiver: WebhookReceiver) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"  # nothing listens here
    bridge = make_bridge(bridge_webhook_url=dead)
    customer_writes(bridge, "halo")
    deadline = time.monotonic() + 10
    while 'bridge_webhook_failures_total{reason="network"}' not in httpx.get(f"{bridge.url}/metrics").text:
        assert time.monotonic() < deadline, "no delivery attempt failed"
        time.sleep(0.05)
    assert httpx.get(f"{bridge.url}/metrics").text.count("bridge_outbox_depth 1.0") == 1


def test_delivery_latency_is_measured(bridge: Bridge, receiver: WebhookReceiver) -> None:
    for i in range(5):
        customer_writes(bridge, f"halo {i}")
    receiver.wait(lambda r: len(r.messages()) == 5)
    text = httpx.get(f"{bridge.url}/metrics").text
    assert "bridge_delivery_seconds_count 5.0" in text and "bridge_webhook_delivered_total 5.0" in text
    assert "bridge_outbox_oldest_seconds 0.0" in text


def _spawn(receiver_url: str, db: str, port: int) -> subprocess.Popen:
    s = settings(receiver_url, db)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "WHATSAPP_", "PORT"))}
    env |= {"BRIDGE_SESSION": "webphone", "BRIDGE_PORT": str(port), "BRIDGE_WEBHOOK_URL": receiver_url,
            "WHATSAPP_APP_SECRET": s.whatsapp_app_secret.get_secret_value(), "WHATSAPP_TOKEN": TOKEN,
            "WHATSAPP_PHONE_ID": s.whatsapp_phone_id, "BRIDGE_DATABASE_URL": db,
            "BRIDGE_RETRY_BASE_SECONDS": "0.05", "BRIDGE_RETRY_MAX_SECONDS": "0.3",
            "PYTHONPATH": f"{PROJECT_ROOT}{os.pathsep}{PROJECT_ROOT / 'infra' / 'bridge'}"}
    proc = subprocess.Popen([sys.executable, "-m", "bridge"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the bridge did not start")


def test_a_bridge_killed_with_sigkill_delivers_everything_after_its_restart(receiver: WebhookReceiver,
                                                                            fresh_database: Any) -> None:
    port = free_port()
    db = fresh_database()
    proc = _spawn(receiver.url, db, port)
    url = f"http://127.0.0.1:{port}"
    sent: dict[str, list[str]] = defaultdict(list)
    try:
        receiver.status = 200
        for i in range(10):
            who = f"62813000000{i % 2}"
            sent[who].append(f"sebelum {i}")
            httpx.post(f"{url}/webphone/send", json={"from": who, "text": f"sebelum {i}"}).raise_for_status()
        receiver.wait(lambda r: len(r.messages()) == 10)
        receiver.status = 503  # then the functions go down, and the bridge is killed mid-backlog
        for i in range(20):
            who = f"62813000000{i % 2}"
            sent[who].append(f"sesudah {i}")
            httpx.post(f"{url}/webphone/send", json={"from": who, "text": f"sesudah {i}"}).raise_for_status()
        receiver.wait(lambda r: r.attempts >= 14)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        receiver.status = 200
        proc = _spawn(receiver.url, db, port)
        receiver.wait(lambda r: len(r.messages()) >= 30, timeout=30)
        time.sleep(0.3)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    ids = [m["id"] for m in receiver.messages()]
    assert len(ids) == len(set(ids)) == 30  # nothing lost, nothing twice
    assert by_chat(receiver) == sent


def test_a_webphone_message_answers_once_committed_with_its_wamid(bridge: Bridge, receiver: WebhookReceiver) -> None:
    receiver.status = 503
    wamid = customer_writes(bridge, "halo", who=CUSTOMER)
    row = bridge.store._one("select state, kind from bridge.events where wamid = %s", (wamid,))
    assert row == ("pending", "message")


def test_a_body_signed_with_another_secret_is_refused_and_retried_never_lost(make_bridge: Any,
                                                                             receiver: WebhookReceiver) -> None:
    bridge = make_bridge(whatsapp_app_secret="not-the-functions-secret")
    customer_writes(bridge, "halo")
    receiver.wait(lambda r: r.bad_signatures >= 2)  # pywa's validator answers 403; the bridge retries
    time.sleep(1.1)
    assert receiver.messages() == []
    assert httpx.get(f"{bridge.url}/healthz").json()["status"] == "webhook_failing"
    assert 'bridge_webhook_failures_total{reason="403"}' in httpx.get(f"{bridge.url}/metrics").text
