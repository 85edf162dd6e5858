"""The bridge under test: a real Bridge (its own throwaway database on the test Postgres) posting
signed webhooks to a local receiver that checks them with pywa's own validator, and pywa as the
client of its Graph API."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Iterator

import httpx
import pytest

from bridge.app import Bridge
from bridge.settings import BridgeSettings
from tests.fakes.http import JsonStandIn
from tests.functions.whatsapp import PHONE_ID, SECRET, SHOP_NUMBER, TOKEN

CUSTOMER = "6281234567890"


class WebhookReceiver(JsonStandIn):
    """BRIDGE_WEBHOOK_URL: records every signed body; answers 200, or what is scripted."""

    def __init__(self) -> None:
        super().__init__()
        from pywa import WhatsApp

        self._pywa = WhatsApp(phone_id=PHONE_ID, token=TOKEN, app_secret=SECRET, verify_token="v",
                              session=httpx.Client(), server=None)
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0
        self.status = 200  # what every post gets while no script is queued
        self.script: list[int] = []
        self.bad_signatures = 0
        self._lock = threading.Lock()

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        with self._lock:
            self.attempts += 1
            status = self.script.pop(0) if self.script else self.status
            if self._pywa.webhook_update_validator(raw, headers.get("x-hub-signature-256")) is not None:
                self.bad_signatures += 1
                return 403, {"error": "bad signature"}
            if 200 <= status < 300:
                self.bodies.append(json.loads(raw))
            return status, {"ok": status < 300}

    # -- reading ------------------------------------------------------------------------------------

    def values(self) -> list[dict[str, Any]]:
        with self._lock:
            return [c["value"] for b in self.bodies for e in b["entry"] for c in e["changes"]]

    def messages(self) -> list[dict[str, Any]]:
        return [m for v in self.values() for m in v.get("messages", [])]

    def statuses(self) -> list[dict[str, Any]]:
        return [s for v in self.values() for s in v.get("statuses", [])]

    def wait(self, predicate: Callable[["WebhookReceiver"], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; received {len(self.bodies)} bodies: {json.dumps(self.bodies)[:2000]}")


def settings(receiver_url: str, db_url: str, **over: Any) -> BridgeSettings:
    values: dict[str, Any] = dict(
        bridge_session="webphone", bridge_port=0, bridge_webhook_url=receiver_url, whatsapp_app_secret=SECRET,
        whatsapp_token=TOKEN, whatsapp_phone_id=PHONE_ID, bridge_display_number=SHOP_NUMBER,
        bridge_database_url=db_url, bridge_retry_base_seconds=0.05, bridge_retry_max_seconds=0.4,
        bridge_webhook_timeout_seconds=5, bridge_typing_ms_per_char=0, bridge_typing_max_seconds=0,
        bridge_chat_gap_seconds=0, bridge_sends_per_minute=6000, bridge_webhook_fail_seconds=1)
    values.update(over)
    return BridgeSettings(_env_file=None, **values)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as r:
        yield r


@pytest.fixture
def make_bridge(receiver: WebhookReceiver, fresh_database: Any) -> Iterator[Callable[..., Bridge]]:
    started: list[Bridge] = []

    def make(*, session: Any = None, connect: bool = False, db_url: str | None = None, **over: Any) -> Bridge:
        s = settings(receiver.url, db_url or fresh_database(), **over)
        b = Bridge(s, session=session(s) if callable(session) else session)
        started.append(b.start(connect=connect))
        return b

    yield make
    for b in started:
        b.stop()


@pytest.fixture
def bridge(make_bridge: Callable[..., Bridge]) -> Bridge:
    return make_bridge()


def pywa_for(bridge: Bridge, token: str = TOKEN) -> Any:
    """pywa's real client, pointed at the bridge (the way the product's messenger does it)."""
    from pywa import WhatsApp

    wa = WhatsApp(phone_id=PHONE_ID, token=token, session=httpx.Client(timeout=15), verify_token=None)
    wa.api._session.base_url = f"{bridge.url}/v26.0"
    return wa


def customer_writes(bridge: Bridge, text: str, who: str = CUSTOMER, name: str = "Budi") -> str:
    r = httpx.post(f"{bridge.url}/webphone/send", json={"from": who, "name": name, "text": text}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["id"]


def phone_messages(bridge: Bridge, who: str = CUSTOMER) -> list[dict[str, Any]]:
    return httpx.get(f"{bridge.url}/webphone/messages", params={"chat": who}, timeout=10).json()["messages"]
