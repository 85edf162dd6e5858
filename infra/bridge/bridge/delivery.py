"""Durable delivery of inbound events: outbox → signed Cloud API webhook → BRIDGE_WEBHOOK_URL.

From the moment a session commits an event (:class:`Outbox`), it is delivered in order per chat:
a dispatcher thread hands each chat whose next event is due to one worker, which posts that chat's
events one after another until the chat is empty or a post fails. A failure backs off
exponentially (BRIDGE_RETRY_BASE_SECONDS doubling up to BRIDGE_RETRY_MAX_SECONDS, jittered) and
blocks only that chat. 400 and 413 park the event (the webhook will never take that body; counted,
listed and replayable by hand); 401, 403, 429, 5xx and network errors are retried and, past
BRIDGE_WEBHOOK_FAIL_SECONDS, turn ``/healthz`` to ``webhook_failing``. After a restart the
dispatcher simply finds the events still waiting. A post that succeeded just before a crash is
posted again: the functions drop the duplicate wamid.

Media is downloaded by its own thread as soon as the message is committed (whatsmeow has no media
retry), so the webhook's media id can be served by ``GET /{media_id}`` later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from bridge.events import MEDIA_LOST, Renderer
from bridge.session import OK, Session
from bridge.settings import BridgeSettings
from bridge.store import Store
from shared.errors import StoreUnavailable

log = logging.getLogger(__name__)

PARK = (400, 413)
MEDIA_ATTEMPTS = 5


def sign(raw: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def media_id() -> str:
    """A bridge-minted media id: 16 digits (pywa reads anything else as a path or URL)."""
    return str(10**15 + secrets.randbelow(9 * 10**15))


def _lost(event: dict[str, Any]) -> dict[str, Any]:
    """A message whose media will never be served: Meta's own ``unsupported`` with 131052."""
    return {k: v for k, v in event.items() if k not in ("media", "_source")} | {"type": "unsupported",
                                                                               "error": MEDIA_LOST}


def clean(value: Any) -> Any:
    """NUL cannot be stored in jsonb (nor is it text anyone typed): drop it everywhere."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


class Outbox:
    """The :class:`bridge.session.Sink`: one insert per event, then a wake-up for the dispatcher."""

    def __init__(self, store: Store, metrics: Any, wake: threading.Event, media_wake: threading.Event) -> None:
        self.store = store
        self.metrics = metrics
        self._wake = wake
        self._media_wake = media_wake

    def message(self, chat: str, event: dict[str, Any], *, media_pending: bool = False) -> int | None:
        event = clean(event)
        seq = self.store.commit_event("message", chat, event, wamid=event["id"],
                                      state="media" if media_pending else "pending",
                                      pn=event.get("pn"), lid=event.get("lid"), name=event.get("name"))
        self.metrics.events.labels("message" if seq else "duplicate").inc()
        (self._media_wake if media_pending else self._wake).set()
        return seq

    def message_with_media(self, chat: str, event: dict[str, Any], data: bytes) -> int | None:
        event = clean(event)
        seq = self.store.commit_message_with_media(chat, event, event["media"], data, wamid=event["id"],
                                                   pn=event.get("pn"), lid=event.get("lid"), name=event.get("name"))
        self.metrics.events.labels("message" if seq else "duplicate").inc()
        self._wake.set()
        return seq

    def echo(self, chat: str, event: dict[str, Any]) -> int | None:
        event = clean(event)
        seq = self.store.commit_event("echo", chat, event, wamid=event["id"])
        self.metrics.events.labels("echo" if seq else "duplicate").inc()
        self._wake.set()
        return seq

    def receipt(self, chat: str, event: dict[str, Any]) -> int | None:
        seq = self.store.commit_event("receipt", chat, event)
        self.metrics.events.labels("receipt").inc()
        self._wake.set()
        return seq


class Delivery:
    """The dispatcher, its workers, the media fetcher and the daily prune, as daemon threads."""

    def __init__(self, settings: BridgeSettings, store: Store, session: Session, renderer: Renderer,
                 metrics: Any, *, http: Any = None) -> None:
        import httpx

        self.settings = settings
        self.store = store
        self.session = session
        self.renderer = renderer
        self.metrics = metrics
        self.wake = threading.Event()
        self.media_wake = threading.Event()
        self.outbox = Outbox(store, metrics, self.wake, self.media_wake)
        self._http = http or httpx.Client(timeout=settings.bridge_webhook_timeout_seconds,
                                          limits=httpx.Limits(max_connections=settings.bridge_delivery_workers + 2))
        self._secret = settings.whatsapp_app_secret.get_secret_value()
        self._pool = ThreadPoolExecutor(settings.bridge_delivery_workers, thread_name_prefix="deliver")
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._dispatch, name="dispatch", daemon=True),
                         threading.Thread(target=self._fetch_media, name="media", daemon=True),
                         threading.Thread(target=self._housekeeping, name="prune", daemon=True)]

    def start(self) -> Delivery:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self.media_wake.set()
        for t in self._threads:
            t.join(timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)  # an in-flight POST is redelivered after a restart
        self._http.close()

    # -- dispatch ---------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        while not self._stop.is_set():
            wait = 1.0
            self.wake.clear()  # before looking: a commit after this point wakes the next wait
            try:
                with self._lock:
                    busy = list(self._busy)
                    free = self.settings.bridge_delivery_workers - len(busy)
                heads = self.store.heads(free, busy) if free > 0 else []
                for head in heads:
                    with self._lock:
                        if head.chat in self._busy:
                            continue
                        self._busy.add(head.chat)
                    self._pool.submit(self._drain, head.chat)
                if not heads and free > 0:  # a worker finishing wakes us; else the next retry does
                    due = self.store.next_due(busy)
                    wait = 1.0 if due is None else min(1.0, max(0.01, due))
            except StoreUnavailable as exc:
                log.warning("outbox unreachable, retrying: %s", exc)
                wait = 2.0
            except Exception:
                log.exception("dispatcher pass failed")
                wait = 2.0
            self.wake.wait(wait)

    def _drain(self, chat: str) -> None:
        try:
            while not self._stop.is_set():
                head = self.store.head(chat)
                if head is None or head.state != "pending" or not head.due:
                    return
                if not self._post(head):
                    return
        except StoreUnavailable as exc:
            log.warning("outbox unreachable while delivering %s: %s", chat, exc)
        except Exception:
            log.exception("delivering chat %s failed", chat)
        finally:
            with self._lock:
                self._busy.discard(chat)
            self.wake.set()  # its next event, or another chat, may be due

    def _post(self, head: Any) -> bool:
        """Post one event; True when the chat may go on to its next one."""
        import httpx

        try:
            body = self.renderer.render(head.kind, head.chat, head.event, head.created_at)
            raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        except Exception as exc:  # a bug of ours: back off like a failed POST instead of spinning
            log.exception("event %s of %s could not be rendered", head.seq, head.chat)
            self.store.failed(head.seq, self.settings.bridge_retry_max_seconds, f"render: {exc!r}")
            return False
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, self._secret),
                   "User-Agent": "bot-jual-wa-bridge"}
        started = time.monotonic()
        try:
            status = self._http.post(self.settings.bridge_webhook_url, content=raw, headers=headers).status_code
        except httpx.HTTPError as exc:
            status, reason = 0, type(exc).__name__
        else:
            reason = str(status)
        self.metrics.post_seconds.observe(time.monotonic() - started)
        if 200 <= status < 300:
            self.store.delivered(head.seq)
            age = (datetime.now(timezone.utc) - head.created_at).total_seconds()
            self.metrics.delivered.inc()
            self.metrics.delivery_seconds.observe(max(0.0, age))
            return True
        self.metrics.failures.labels("network" if status == 0 else reason).inc()
        if status in PARK:
            log.error("webhook refused event %s of %s with %s: parked (replay it once fixed)", head.seq, head.chat, status)
            self.store.park(head.seq, f"HTTP {status}")
            self.metrics.parked.inc()
            return True  # a parked event no longer holds its chat back
        delay = min(self.settings.bridge_retry_max_seconds,
                    self.settings.bridge_retry_base_seconds * 2 ** min(head.attempts, 20)) * random.uniform(0.8, 1.2)
        log.warning("webhook delivery of event %s (%s) failed: %s; retry in %.1f s", head.seq, head.chat,
                    reason, delay)
        self.store.failed(head.seq, delay, reason)
        return False

    # -- media ------------------------------------------------------------------------------------

    def _fetch_media(self) -> None:
        while not self._stop.is_set():
            self.media_wake.clear()
            try:
                waiting = self.store.media_waiting()
                for seq, event, attempts in waiting:
                    self._fetch_one(seq, event, attempts)
            except StoreUnavailable as exc:
                log.warning("outbox unreachable for media: %s", exc)
                waiting = []
            except Exception:
                log.exception("media pass failed")
                waiting = []
            if not waiting:
                self.media_wake.wait(1.0)

    def _fetch_one(self, seq: int, event: dict[str, Any], attempts: int) -> None:
        media = dict(event.get("media") or {})
        limit = self.settings.bridge_media_max_mb * 1024 * 1024
        if self.session.state.code != OK:  # not a failed attempt: WhatsApp is not reachable yet
            self.store.media_retry(seq, 2.0, f"session {self.session.state.code}", count=False)
            return
        if int(media.get("size") or 0) > limit:
            log.warning("media of %s is %s bytes, over BRIDGE_MEDIA_MAX_MB: not downloaded", event.get("id"),
                        media["size"])
            self.store.media_fetched(seq, _lost(event), None, None, "", None)
            self.wake.set()
            return
        try:
            data = self.session.download(event)
        except Exception as exc:  # noqa: BLE001 - whatever the session raised, the event must go on
            if attempts + 1 < MEDIA_ATTEMPTS:
                self.store.media_retry(seq, self.settings.bridge_retry_base_seconds * 2 ** attempts, str(exc))
                return
            log.error("media of %s could not be downloaded: %s; delivered as unsupported", event.get("id"), exc)
            self.store.media_fetched(seq, _lost(event), None, None, "", None)
            self.wake.set()
            return
        if len(data) > limit:
            log.warning("media of %s is %d bytes, over BRIDGE_MEDIA_MAX_MB: not kept", event.get("id"), len(data))
            self.store.media_fetched(seq, _lost(event), None, None, "", None)
        else:
            media["sha256"] = base64.b64encode(hashlib.sha256(data).digest()).decode()
            event = {k: v for k, v in event.items() if k != "_source"} | {"media": media}
            self.store.media_fetched(seq, event, media["id"], data, media.get("mime_type") or "application/octet-stream",
                                     media.get("filename"))
        self.wake.set()

    # -- housekeeping -----------------------------------------------------------------------------

    def _housekeeping(self) -> None:
        while not self._stop.wait(5.0):
            try:
                self.prune()
            except Exception:
                log.exception("prune failed")
            if self._stop.wait(3600):
                return

    def prune(self) -> dict[str, int]:
        report = self.store.prune(retention_days=self.settings.bridge_media_retention_days,
                                  total_bytes=self.settings.bridge_media_total_mb * 1024 * 1024)
        if any(report.values()):
            log.info("pruned %s", report)
        return report
