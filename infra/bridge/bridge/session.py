"""The session port: what the bridge needs from a WhatsApp connection. Two implementations —
``neonize_session.NeonizeSession`` (the real web protocol) and ``webphone.WebPhone`` (a simulated
phone) — and everything else in the bridge is the same code for both.

A session reports what happens by committing events to the outbox through its :class:`Sink`
(one short insert; nothing else happens on the session's event thread), and keeps a
:class:`State` that ``/healthz`` reads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

# health reason codes (docs/bridge.md says what each means and what to do)
OK = "ok"
STARTING = "starting"
WAITING_FOR_QR = "waiting_for_qr"
LOGGED_OUT = "logged_out"
CLIENT_OUTDATED = "client_outdated"
TEMP_BANNED = "temp_banned"
STREAM_REPLACED = "stream_replaced"
DISCONNECTED = "disconnected"
WEBHOOK_FAILING = "webhook_failing"
STORE_UNAVAILABLE = "store_unavailable"


class SendFailed(Exception):
    """The session could not send; ``permanent`` when retrying cannot help (a bad recipient)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Sent:
    id: str
    timestamp: int


class Sink(Protocol):
    """Where a session commits what happened (the bridge's outbox)."""

    def message(self, chat: str, event: dict[str, Any], *, media_pending: bool = False) -> int | None: ...

    def message_with_media(self, chat: str, event: dict[str, Any], data: bytes) -> int | None: ...

    def echo(self, chat: str, event: dict[str, Any]) -> int | None: ...

    def receipt(self, chat: str, event: dict[str, Any]) -> int | None: ...


class Session(Protocol):
    name: str
    state: "State"

    def start(self, sink: Sink) -> None: ...

    def stop(self) -> None: ...

    def own_number(self) -> str | None: ...

    def send_text(self, chat: str, text: str, *, quoted: str | None = None, cloud_type: str = "text") -> Sent:
        """``cloud_type``: the Cloud API type the functions sent (text, interactive, template),
        for the web phone's history; WhatsApp itself only ever gets text."""

    def send_image(self, chat: str, data: bytes, mime_type: str, caption: str | None) -> Sent: ...

    def send_voice(self, chat: str, ogg_opus: bytes, seconds: int) -> Sent: ...

    def mark_read(self, chat: str, ids: list[str]) -> None: ...

    def typing(self, chat: str, on: bool) -> None: ...

    def download(self, event: dict[str, Any]) -> bytes: ...

    def qr(self) -> str | None: ...


class State:
    """The session's health code, with why and since when; thread-safe."""

    def __init__(self, code: str = STARTING) -> None:
        self._lock = threading.Lock()
        self.code = code
        self.detail = ""
        self.since = time.time()
        self.changed = threading.Condition(self._lock)

    def set(self, code: str, detail: str = "") -> None:
        with self._lock:
            if code != self.code:
                self.since = time.time()
            self.code, self.detail = code, detail
            self.changed.notify_all()

    def snapshot(self) -> tuple[str, str, float]:
        with self._lock:
            return self.code, self.detail, self.since

    def wait_for(self, code: str, timeout: float) -> bool:
        with self._lock:
            return self.changed.wait_for(lambda: self.code == code, timeout)


def jid_user(jid: str) -> str:
    return jid.split("@", 1)[0].split(":", 1)[0]
