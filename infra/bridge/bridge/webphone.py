"""The simulated phone: customers chat with the shop from a page the bridge serves (``make dev``,
tests). It implements the same session port as neonize, so everything past it — the outbox,
signed delivery, the Graph API, pacing, number answers — is the code a real number runs.

HTTP (on BRIDGE_HOST, no token; the contract checks outside this repo rely on):
- ``POST /webphone/send`` ``{"from": "6281234567890", "name": "…", "text": "…"}`` (optionally
  ``"media": {"data": <base64>, "mime_type", "filename", "voice": true}``) → ``{"id": <wamid>}``
  once the event is committed;
- ``GET /webphone/messages?chat=<digits>`` → ``{"messages": [{"id", "direction", "type", "text",
  "timestamp"}, …]}`` oldest first (plus ``status``, ``media_url`` and, at the top, ``typing``);
- ``GET /webphone/chats``, ``POST /webphone/read`` ``{"chat"}`` (the customer read the chat: blue
  ticks), ``POST /webphone/pay`` ``{"ref"}`` (pays the sandbox QRIS), ``GET /webphone/media/<id>``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import threading
import time
from typing import Any

from bridge import session as s
from bridge.delivery import media_id
from bridge.store import Store

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"^[1-9][0-9]{6,14}$")
MEDIA_TYPES = {"image": "image", "audio": "audio", "video": "video"}
MAX_MEDIA = 16 * 1024 * 1024


class BadRequest(ValueError):
    pass


def lid_for(pn: str) -> str:
    """A stable LID for a simulated customer (real ones come from WhatsApp)."""
    return str(10**14 + int(hashlib.sha256(pn.encode()).hexdigest()[:12], 16) % (9 * 10**14))


def new_id() -> str:
    return "3EB0" + secrets.token_hex(10).upper()


class WebPhone:
    """:class:`bridge.session.Session` for a simulated phone whose chats live in the bridge's store."""

    name = "webphone"

    def __init__(self, store: Store, display_number: str) -> None:
        self.store = store
        self.display_number = display_number
        self.state = s.State(s.STARTING)
        self.sink: Any = None
        self._typing: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self, sink: Any) -> None:
        self.sink = sink
        self.state.set(s.OK)

    def stop(self) -> None:
        self.state.set(s.DISCONNECTED, "stopped")

    def own_number(self) -> str | None:
        return self.display_number

    def qr(self) -> str | None:
        return None

    # -- the customer's side ----------------------------------------------------------------------

    def inject(self, body: Any) -> str:
        """A customer's message from the page or a test; its wamid once committed."""
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        pn = re.sub(r"[\s+\-()]", "", str(body.get("from") or ""))
        if not _NUMBER.match(pn):
            raise BadRequest("'from' must be the customer's number in international digits, e.g. 6281234567890")
        name = str(body.get("name") or "")[:100] or None
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise BadRequest("'text' must be a string")
        media = body.get("media")
        if not (text or media):
            raise BadRequest("send 'text', or 'media' with base64 'data'")
        chat = f"{pn}@s.whatsapp.net"
        wamid, ts = new_id(), int(time.time())
        event: dict[str, Any] = {"id": wamid, "ts": ts, "pn": pn, "lid": lid_for(pn), "name": name}
        if media:
            data, kind, meta = self._media(media)
            meta["id"] = media_id()
            if text and kind != "audio":
                meta["caption"] = text
            event |= {"type": kind, "media": meta}
            self.sink.message_with_media(chat, event, data)
            self.store.phone_add(pn, wamid, "in", kind, text or "", ts, media_id=meta["id"])
        else:
            event |= {"type": "text", "text": text[:4096]}
            self.sink.message(chat, event)
            self.store.phone_add(pn, wamid, "in", "text", text[:4096], ts)
        return wamid

    @staticmethod
    def _media(media: Any) -> tuple[bytes, str, dict[str, Any]]:
        if not isinstance(media, dict) or not isinstance(media.get("data"), str):
            raise BadRequest("'media' must be {\"data\": <base64>, \"mime_type\": ...}")
        try:
            data = base64.b64decode(media["data"].split(",", 1)[-1], validate=False)
        except ValueError:
            raise BadRequest("'media.data' is not base64") from None
        if not data or len(data) > MAX_MEDIA:
            raise BadRequest("the file must be between 1 byte and 16 MB")
        mime = str(media.get("mime_type") or "application/octet-stream").split(";")[0]
        top = mime.split("/")[0]
        kind = MEDIA_TYPES.get(top, "document")
        meta: dict[str, Any] = {"mime_type": mime,
                                "sha256": base64.b64encode(hashlib.sha256(data).digest()).decode()}
        if kind == "audio":
            meta["voice"] = bool(media.get("voice", True))
        if kind == "document":
            meta["filename"] = str(media.get("filename") or "file")[:200]
        return data, kind, meta

    def read(self, chat: str) -> int:
        """The customer opened the chat: their unread messages from the shop turn read."""
        pn = re.sub(r"\D", "", chat)
        ids = self.store.phone_unread(pn)
        moved = self.store.phone_status(ids, "read") if ids else []
        if moved:
            self.sink.receipt(f"{pn}@s.whatsapp.net", {"ids": moved, "status": "read", "ts": int(time.time()),
                                                       "pn": pn, "lid": lid_for(pn)})
        return len(moved)

    def messages(self, chat: str, after: int = 0) -> dict[str, Any]:
        pn = re.sub(r"\D", "", chat)
        out = []
        for m in self.store.phone_messages(pn, after):
            if m.pop("media_id", None) is not None:
                m["media_url"] = f"/webphone/media/{m['id']}"
            out.append(m)
        with self._lock:
            typing = self._typing.get(f"{pn}@s.whatsapp.net", 0) > time.time()
        return {"messages": out, "typing": typing}

    def media_of(self, message_id: str) -> tuple[bytes, str] | None:
        found = self.store.phone_media(message_id)
        return self.store.media_bytes(found) if found else None

    # -- the shop's side (the port) -----------------------------------------------------------------

    def _out(self, chat: str, kind: str, text: str, media: str | None = None) -> s.Sent:
        if self.state.code != s.OK:
            raise s.SendFailed("the web phone is stopped")
        pn = s.jid_user(chat)
        sent = s.Sent(new_id(), int(time.time()))
        self.store.phone_add(pn, sent.id, "out", kind, text, sent.timestamp, media_id=media, status="sent")
        with self._lock:
            self._typing.pop(chat, None)
        # the phone is online: it acknowledges delivery at once (read comes when the page shows it)
        self.store.phone_status([sent.id], "delivered")
        self.sink.receipt(chat, {"ids": [sent.id], "status": "delivered", "ts": sent.timestamp, "pn": pn,
                                 "lid": lid_for(pn)})
        return sent

    def send_text(self, chat: str, text: str, *, quoted: str | None = None, cloud_type: str = "text") -> s.Sent:
        return self._out(chat, cloud_type, text)

    def send_image(self, chat: str, data: bytes, mime_type: str, caption: str | None) -> s.Sent:
        mid = media_id()
        self.store.put_media(mid, data, mime_type)
        return self._out(chat, "image", caption or "", mid)

    def send_voice(self, chat: str, ogg_opus: bytes, seconds: int) -> s.Sent:
        mid = media_id()
        self.store.put_media(mid, ogg_opus, "audio/ogg; codecs=opus")
        return self._out(chat, "audio", f"🎤 {seconds} dtk", mid)

    def mark_read(self, chat: str, ids: list[str]) -> None:
        log.debug("the shop read %s in %s", ids, chat)

    def typing(self, chat: str, on: bool) -> None:
        with self._lock:
            if on:
                self._typing[chat] = time.time() + 25  # WhatsApp drops a typing indicator after 25 s
            else:
                self._typing.pop(chat, None)

    def download(self, event: dict[str, Any]) -> bytes:
        raise s.SendFailed("the web phone commits media with its message; nothing to download")
