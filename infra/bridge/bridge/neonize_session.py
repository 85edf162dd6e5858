"""The real WhatsApp Web session, on neonize 0.5.2 (whatsmeow in a bundled Go library).

neonize's sync client blocks in ``connect()`` until ``stop()``, so it runs on a thread of its own,
wrapped in a loop with backoff (the first dial is never retried by whatsmeow). Its events arrive
one at a time on a Go-owned thread: a slow handler fills whatsmeow's 100-slot channel and stalls
the connection, so every handler here only translates the protobuf (:mod:`bridge.translate`) and commits
one row (:class:`bridge.session.Sink`). When the outbox cannot be reached, events wait in memory,
in order, and are committed as soon as it is back.

The bridge owns the QR timeout (neonize prints the codes and then waits forever): no login within
BRIDGE_QR_TIMEOUT_SECONDS of the first code → ``stop()`` and a fresh connection with new codes.
"""

from __future__ import annotations

import base64
import collections
import logging
import threading
import time
from typing import Any

from bridge import session as s
from bridge.settings import BridgeSettings
from bridge.translate import PN, message_event, receipt_event, seconds
from shared.errors import StoreUnavailable

log = logging.getLogger(__name__)

class NeonizeSession:
    """:class:`bridge.session.Session` over neonize's sync client."""

    name = "neonize"

    def __init__(self, settings: BridgeSettings, store_url: str, *, downloader: Any = None) -> None:
        """``downloader(message) -> bytes`` fetches a message's media; by default neonize's
        ``download_any`` (WhatsApp's media servers). Tests hand in their own media server."""
        self.settings = settings
        self._downloader = downloader
        self.store_url = store_url
        self.state = s.State(s.STARTING)
        self.client: Any = None
        self.pair_code: str | None = None
        self._qr: str | None = None
        self._qr_since: float | None = None
        self._sink: Any = None
        self._stop = threading.Event()
        self._spill: collections.deque[tuple[str, tuple]] = collections.deque()
        self._spill_lock = threading.Lock()
        self._sent: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._threads: list[threading.Thread] = []
        self._fresh_device = False
        self._ban_until = 0.0

    # -- lifecycle --------------------------------------------------------------------------------

    def build(self) -> Any:
        """The neonize client and its handlers (also used by tests to drive the real decode path)."""
        from neonize.client import NewClient
        from neonize import events as ev

        client = NewClient(self.store_url, new_device=self._fresh_device)
        self._fresh_device = False
        client.event.qr(self._on_qr)
        handlers = {
            ev.MessageEv: self._on_message, ev.ReceiptEv: self._on_receipt, ev.ConnectedEv: self._on_connected,
            ev.PairStatusEv: self._on_paired, ev.LoggedOutEv: self._on_logged_out,
            ev.StreamReplacedEv: self._on_replaced, ev.TemporaryBanEv: self._on_banned,
            ev.ConnectFailureEv: self._on_connect_failure, ev.ClientOutdatedEv: self._on_outdated,
            ev.DisconnectedEv: self._on_disconnected, ev.KeepAliveTimeoutEv: self._on_disconnected,
            ev.KeepAliveRestoredEv: self._on_connected, ev.StreamErrorEv: self._on_disconnected,
        }
        for kind, handler in handlers.items():
            client.event(kind)(self._guard(handler))
        self.client = client
        return client

    def start(self, sink: Any, *, connect: bool = True) -> None:
        """Commit events to ``sink``; ``connect=False`` builds the client without dialling WhatsApp
        (tests drive events through neonize's own dispatcher)."""
        self._sink = sink
        if not connect:
            self.build()
            self._threads = [threading.Thread(target=self._watch, name="neonize-watch", daemon=True)]
            self._threads[0].start()
            return
        self._threads = [threading.Thread(target=self._run, name="neonize", daemon=True),
                         threading.Thread(target=self._watch, name="neonize-watch", daemon=True)]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        if self.client is not None:
            try:
                self.client.stop()
            except Exception:  # noqa: BLE001 - stopping must not fail the shutdown
                log.debug("neonize stop failed", exc_info=True)

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            code = self.state.code
            if code in (s.STREAM_REPLACED, s.CLIENT_OUTDATED):
                self._stop.wait(5)  # another instance has the session, or only an upgrade helps
                continue
            if code == s.TEMP_BANNED and time.time() < self._ban_until:
                self._stop.wait(min(60.0, self._ban_until - time.time()))
                continue
            try:
                client = self.build()
                log.info("connecting to WhatsApp")
                client.connect()  # blocks until stop(); raises at once when the first dial fails
                backoff = 1.0
            except Exception as exc:  # noqa: BLE001 - NeonizeError and whatever the FFI raises
                if self.state.code in (s.STARTING, s.OK, s.DISCONNECTED, s.WAITING_FOR_QR):
                    self.state.set(s.DISCONNECTED, f"connect failed: {exc}")
                log.warning("WhatsApp connection failed (%s); retrying in %.0f s", exc, backoff)
            if self._stop.wait(backoff):
                return
            backoff = min(self.settings.bridge_reconnect_max_seconds, backoff * 2)

    def _watch(self) -> None:
        """The QR timeout, and committing events that waited for the outbox."""
        while not self._stop.wait(1.0):
            try:
                self._watch_once()
            except Exception:  # this thread must outlive whatever one pass meets
                log.exception("session watch pass failed")

    def _watch_once(self) -> None:
        since = self._qr_since
        if since and self.state.code == s.WAITING_FOR_QR and time.time() - since > self.settings.bridge_qr_timeout_seconds:
            log.warning("no login within %.0f s of the QR: starting over with new codes",
                        self.settings.bridge_qr_timeout_seconds)
            self._qr_since = None
            self.pair_code = None  # the next QR asks for a new code
            try:
                self.client.stop()
            except Exception:  # noqa: BLE001
                log.debug("neonize stop failed", exc_info=True)
        self._drain_spill()

    # -- events (Go's thread: translate, commit one row, return) ----------------------------------

    def _guard(self, handler: Any) -> Any:
        def run(client: Any, event: Any) -> None:
            try:
                handler(client, event)
            except Exception:  # ctypes would print and swallow it; log it properly instead
                log.exception("handling %s failed", type(event).__name__)
        return run

    def _commit(self, method: str, *args: Any, **kw: Any) -> None:
        with self._spill_lock:
            if self._spill:
                self._spill.append((method, (args, kw)))
                return
        try:
            getattr(self._sink, method)(*args, **kw)
        except StoreUnavailable as exc:
            log.error("outbox unreachable: event kept in memory until it is back (%s)", exc)
            with self._spill_lock:
                self._spill.append((method, (args, kw)))
        except Exception:  # the database refused this one event: keep it in the log, never block the rest
            log.exception("event refused by the outbox, dropped: %s %s", method, str(args)[:2000])

    def _drain_spill(self) -> None:
        while True:
            with self._spill_lock:
                if not self._spill:
                    return
                method, (args, kw) = self._spill[0]
            try:
                getattr(self._sink, method)(*args, **kw)
            except StoreUnavailable:
                return
            except Exception:
                log.exception("event refused by the outbox, dropped: %s %s", method, str(args)[:2000])
            with self._spill_lock:
                self._spill.popleft()

    def _lookup(self, method: str) -> Any:
        def find(jid: Any) -> str | None:
            try:
                if self.client is None or not self.client.is_logged_in:
                    return None  # the Go client aborts the process when asked before its store is up
            except Exception:  # noqa: BLE001
                return None
            try:
                found = getattr(self.client, method)(jid)
                return found.User or None
            except Exception:  # noqa: BLE001 - GetJIDFromStoreError: not in the LID map
                return None
        return find

    def _on_message(self, client: Any, ev: Any) -> None:
        if ev.Info.ID in self._sent:
            return  # our own send, seen from another device of the account
        found = message_event(ev, pn_of=self._lookup("get_pn_from_lid"), lid_of=self._lookup("get_lid_from_pn"))
        if found is None:
            return
        kind, chat, event = found
        if kind == "echo":
            self._commit("echo", chat, {k: v for k, v in event.items() if k != "_source"})
        else:
            self._commit("message", chat, event, media_pending="_source" in event)

    def _on_receipt(self, client: Any, ev: Any) -> None:
        found = receipt_event(ev, pn_of=self._lookup("get_pn_from_lid"), lid_of=self._lookup("get_lid_from_pn"))
        if found:
            self._commit("receipt", *found)

    def _on_qr(self, client: Any, data: bytes) -> None:
        self._qr = data.decode() if isinstance(data, bytes) else str(data)
        if self._qr_since is None:
            self._qr_since = time.time()
        self.state.set(s.WAITING_FOR_QR, "scan the QR (GET /qr) or enter the pairing code")
        try:
            import segno

            print(segno.make_qr(self._qr).terminal(compact=True) or "", flush=True)
        except Exception:  # noqa: BLE001 - the PNG on /qr still works
            log.debug("terminal QR failed", exc_info=True)
        if self.settings.bridge_pair_phone and self.pair_code is None:
            threading.Thread(target=self._pair, name="pair", daemon=True).start()  # never inside the handler

    def _pair(self) -> None:
        try:
            self.pair_code = self.client.PairPhone(self.settings.bridge_pair_phone, show_push_notification=True)
            log.warning("pairing code for %s: %s (WhatsApp > Linked devices > Link with phone number)",
                        self.settings.bridge_pair_phone, self.pair_code)
        except Exception as exc:  # noqa: BLE001
            log.error("pairing code failed: %s", exc)

    def _on_connected(self, client: Any, ev: Any) -> None:
        self._qr = self._qr_since = None
        self.pair_code = None
        self.state.set(s.OK)
        log.info("connected to WhatsApp as %s", self.own_number())
        threading.Thread(target=self._available, daemon=True).start()

    def _available(self) -> None:
        try:
            from neonize.utils.enum import Presence

            self.client.send_presence(Presence.AVAILABLE)
        except Exception:  # noqa: BLE001
            log.debug("presence failed", exc_info=True)

    def _on_paired(self, client: Any, ev: Any) -> None:
        log.info("paired with WhatsApp")

    def _on_logged_out(self, client: Any, ev: Any) -> None:
        log.error("WhatsApp logged this device out (reason %s): a new QR is needed", getattr(ev, "Reason", ""))
        self.state.set(s.LOGGED_OUT, "the phone removed this linked device: scan a new QR")
        self._fresh_device = True
        self.pair_code = None
        threading.Thread(target=self._restart, daemon=True).start()

    def _restart(self) -> None:
        try:
            self.client.stop()
        except Exception:  # noqa: BLE001
            log.debug("neonize stop failed", exc_info=True)

    def _on_replaced(self, client: Any, ev: Any) -> None:
        log.error("another process connected with this session (stream replaced): this one stops")
        self.state.set(s.STREAM_REPLACED, "another instance took the session")

    def _on_banned(self, client: Any, ev: Any) -> None:
        log.error("WhatsApp banned this number temporarily (code %s, expires %s): sending stops",
                  ev.Code, ev.Expire)
        self._ban_until = time.time() + max(60, ev.Expire)
        self.state.set(s.TEMP_BANNED, f"code {ev.Code}, lifted in about {ev.Expire} s")
        threading.Thread(target=self._restart, daemon=True).start()  # stay off until the ban ends

    def _on_outdated(self, client: Any, ev: Any) -> None:
        log.error("WhatsApp refuses this client version (405): upgrade neonize and redeploy")
        self.state.set(s.CLIENT_OUTDATED, "upgrade neonize")
        threading.Thread(target=self._restart, daemon=True).start()  # reconnecting cannot help

    def _on_connect_failure(self, client: Any, ev: Any) -> None:
        from neonize.proto.Neonize_pb2 import ConnectFailureReason as R

        reason = R.Name(ev.Reason) if ev.Reason in R.values() else str(ev.Reason)
        code = {"LOGGED_OUT": s.LOGGED_OUT, "MAIN_DEVICE_GONE": s.LOGGED_OUT, "UNKNOWN_LOGOUT": s.LOGGED_OUT,
                "TEMP_BANNED": s.TEMP_BANNED, "CLIENT_OUTDATED": s.CLIENT_OUTDATED}.get(reason, s.DISCONNECTED)
        log.error("WhatsApp refused the connection: %s %s", reason, ev.Message)
        if code == s.LOGGED_OUT:
            self._on_logged_out(client, ev)
        elif code == s.TEMP_BANNED:
            self._ban_until = time.time() + 3600
            self.state.set(code, f"{reason} {ev.Message}".strip())
        else:
            self.state.set(code, f"{reason} {ev.Message}".strip())

    def _on_disconnected(self, client: Any, ev: Any) -> None:
        if self.state.code == s.OK:
            self.state.set(s.DISCONNECTED, type(ev).__name__)

    # -- the port -----------------------------------------------------------------------------------

    def own_number(self) -> str | None:
        try:
            me = self.client.get_me() if self.client is not None and self.client.is_logged_in else None
            return me.JID.User if me is not None and me.JID.User else None
        except Exception:  # noqa: BLE001
            return None

    def qr(self) -> str | None:
        return self._qr

    def _jid(self, chat: str) -> Any:
        from neonize.utils.jid import build_jid

        user, _, server = chat.partition("@")
        return build_jid(user, server or PN)

    def _ready(self) -> Any:
        if self.client is None or self.state.code != s.OK:
            raise s.SendFailed(f"WhatsApp session not connected ({self.state.code})")
        return self.client

    def _remember(self, response: Any) -> s.Sent:
        self._sent[response.ID] = None
        while len(self._sent) > 5000:
            self._sent.popitem(last=False)
        return s.Sent(response.ID, seconds(response.Timestamp) or int(time.time()))

    def _send(self, call: Any) -> s.Sent:
        try:
            return self._remember(call())
        except s.SendFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - SendMessageError and friends
            text = str(exc)
            raise s.SendFailed(text, permanent="479" in text or "not on whatsapp" in text.lower()) from exc

    def send_text(self, chat: str, text: str, *, quoted: str | None = None, cloud_type: str = "text") -> s.Sent:
        client = self._ready()
        return self._send(lambda: client.send_message(self._jid(chat), text))

    def send_image(self, chat: str, data: bytes, mime_type: str, caption: str | None) -> s.Sent:
        client = self._ready()
        return self._send(lambda: client.send_image(self._jid(chat), data, caption=caption or None))

    def send_voice(self, chat: str, ogg_opus: bytes, seconds: int) -> s.Sent:
        """Upload, then an ``audioMessage`` with PTT and ``audio/ogg; codecs=opus`` (a PTT without the
        codec is accepted and never delivered)."""
        from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import AudioMessage, Message
        from neonize.utils.enum import MediaType

        client = self._ready()

        def send() -> Any:
            u = client.upload(ogg_opus, MediaType.MediaAudio)
            audio = AudioMessage(URL=u.url, directPath=u.DirectPath, mediaKey=u.MediaKey, fileEncSHA256=u.FileEncSHA256,
                                 fileSHA256=u.FileSHA256, fileLength=u.FileLength, seconds=seconds, PTT=True,
                                 mimetype="audio/ogg; codecs=opus")
            return client.send_message(self._jid(chat), Message(audioMessage=audio))
        return self._send(send)

    def mark_read(self, chat: str, ids: list[str]) -> None:
        from neonize.utils.enum import ReceiptType

        client = self._ready()
        jid = self._jid(chat)
        try:
            client.mark_read(*ids, chat=jid, sender=jid, receipt=ReceiptType.READ)
        except Exception as exc:  # noqa: BLE001
            raise s.SendFailed(str(exc)) from exc

    def typing(self, chat: str, on: bool) -> None:
        from neonize.utils.enum import ChatPresence, ChatPresenceMedia

        client = self._ready()
        state = ChatPresence.CHAT_PRESENCE_COMPOSING if on else ChatPresence.CHAT_PRESENCE_PAUSED
        try:
            client.send_chat_presence(self._jid(chat), state, ChatPresenceMedia.CHAT_PRESENCE_MEDIA_TEXT)
        except Exception as exc:  # noqa: BLE001
            raise s.SendFailed(str(exc)) from exc

    def download(self, event: dict[str, Any]) -> bytes:
        from neonize.proto.waE2E.WAWebProtobufsE2E_pb2 import Message

        message = Message.FromString(base64.b64decode(event["_source"]))
        if self._downloader is not None:
            data = self._downloader(message)
        elif self.client is None:
            raise s.SendFailed("no WhatsApp client yet")
        else:
            data = self.client.download_any(message)
        if not data:
            raise s.SendFailed("WhatsApp returned no media")
        return data
