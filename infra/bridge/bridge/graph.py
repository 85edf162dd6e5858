"""The Graph API subset our functions call through pywa, served over the session, under ``/v{N}/``
with ``Authorization: Bearer <WHATSAPP_TOKEN>``; answers and errors in Meta's JSON shapes.

- ``POST /{phone_id}/messages``: text; image by media id or link; audio (made an Ogg/Opus voice
  note); interactive buttons and lists, rendered as numbered text (WhatsApp Web shows no buttons —
  this is the one place numbers are added; a number answer is mapped back on the way in, see
  :mod:`bridge.events`); templates as text; and ``status: read`` (+ ``typing_indicator``) as a
  read receipt plus typing presence.
- ``POST /{phone_id}/media``, ``GET /{media_id}`` and ``GET /media/download/{media_id}``.

Sends are paced against bans (:class:`Pacer`), and nobody gets a first message before they have
written to the shop (BRIDGE_ADMIN_WA_IDS aside).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from bridge import session as s
from bridge.audio import AudioError, voice_note
from bridge.delivery import media_id
from bridge.settings import BridgeSettings
from bridge.store import Store
from shared.errors import StoreUnavailable

log = logging.getLogger(__name__)

ROUTE = re.compile(r"^/v[0-9]+(?:\.[0-9]+)?/([A-Za-z0-9._-]+)(?:/(messages|media))?$")
USER_ID = re.compile(r"^ID\.([0-9]{1,20})$")
HTTP_STATUS = {190: 401, 10: 403, 130429: 429, 131000: 500, 131016: 503, 131048: 429}
MAX_LINK_BYTES = 16 * 1024 * 1024


class GraphError(Exception):
    """Answered as Meta's error JSON with its HTTP status."""

    def __init__(self, code: int, message: str, *, status: int | None = None, type_: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status or HTTP_STATUS.get(code, 400)
        self.type = type_ or ("OAuthException" if code in (190, 10) or code < 100 else "GraphMethodException")

    def body(self) -> dict[str, Any]:
        return {"error": {"message": f"({'#' if self.code < 1000 else ''}{self.code}) {self}", "type": self.type,
                          "code": self.code, "error_data": {"messaging_product": "whatsapp", "details": str(self)},
                          "fbtrace_id": "B" + secrets.token_urlsafe(16)}}


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # JSON-able, or (bytes, content type)


def numbered(interactive: dict[str, Any]) -> tuple[str, str, list[dict[str, str]]]:
    """An interactive message → (the text the customer reads, button | list, the options in order)."""
    kind = interactive.get("type")
    action = interactive.get("action") or {}
    if kind == "button":
        options = [{"id": str(b["reply"]["id"]), "title": str(b["reply"].get("title") or "")}
                   for b in action.get("buttons") or [] if isinstance(b, dict) and isinstance(b.get("reply"), dict)]
    elif kind == "list":
        options = [{k: str(row[k]) for k in ("id", "title", "description") if row.get(k)}
                   for section in action.get("sections") or [] for row in section.get("rows") or []
                   if isinstance(row, dict) and row.get("id")]
    else:
        raise GraphError(100, f"Param interactive.type must be button or list on this bridge, not {kind!r}")
    if not options:
        raise GraphError(100, "Param interactive.action must have at least one button or row")
    lines = []
    header = interactive.get("header") or {}
    if header.get("type") == "text" and header.get("text"):
        lines.append(f"*{header['text']}*")
    body = (interactive.get("body") or {}).get("text")
    if body:
        lines.append(body)
    lines.append("")
    for n, o in enumerate(options, 1):
        lines.append(f"*{n}.* {o['title']}" + (f" — {o['description']}" if o.get("description") else ""))
    footer = (interactive.get("footer") or {}).get("text")
    lines.append("")
    if footer:
        lines.append(f"_{footer}_")
    lines.append(f"Balas dengan angkanya ya kak (1-{len(options)})." if len(options) > 1 else "Balas *1* ya kak.")
    return "\n".join(lines).strip(), kind, options


def template_text(template: dict[str, Any]) -> str:
    params = [str(p.get("text") or "") for c in template.get("components") or [] if c.get("type") in ("body", "header")
              for p in c.get("parameters") or [] if p.get("type", "text") == "text"]
    return "\n".join(p for p in params if p) or str(template.get("name") or "")


class Pacer:
    """Typing for a time proportional to the reply (capped), a minimum gap per chat, and a global
    send rate. A send that would have to wait longer than BRIDGE_SEND_WAIT_SECONDS is refused with
    130429, which the functions' outbox retries later."""

    def __init__(self, settings: BridgeSettings, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._chats: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}
        self._next_slot = 0.0

    def typing_seconds(self, length: int) -> float:
        return min(self.settings.bridge_typing_max_seconds, self.settings.bridge_typing_ms_per_char * length / 1000)

    def run(self, chat: str, length: int, session: Any, send: Callable[[], s.Sent]) -> s.Sent:
        with self._lock:
            chat_lock = self._chats.setdefault(chat, threading.Lock())
        # One send at a time per chat, in arrival order. BRIDGE_SEND_WAIT_SECONDS bounds the whole
        # wait (for this chat's earlier sends, the gap and the global slot); typing comes on top.
        patience = self.settings.bridge_send_wait_seconds
        started = time.monotonic()
        if not chat_lock.acquire(timeout=patience):
            raise GraphError(130429, "Rate limit hit: earlier messages to this chat are still being paced")
        try:
            patience -= round(time.monotonic() - started, 2)  # what this chat's earlier sends took
            now = self.clock()
            gap = max(0.0, self._last.get(chat, -1e9) + self.settings.bridge_chat_gap_seconds - now)
            with self._lock:
                slot = max(now + gap, self._next_slot)
                wait = slot - now
                if wait > patience:
                    raise GraphError(130429, "Rate limit hit: the bridge paces sends against bans; try again later")
                self._next_slot = slot + 60.0 / self.settings.bridge_sends_per_minute
            typing = self.typing_seconds(length)
            if typing > 0:
                try:
                    session.typing(chat, True)
                except s.SendFailed as exc:
                    log.debug("typing presence failed: %s", exc)
            if wait + typing > 0:
                self.sleep(wait + typing)
            try:
                return send()
            finally:
                self._last[chat] = self.clock()
        finally:
            chat_lock.release()


class Graph:
    def __init__(self, settings: BridgeSettings, store: Store, session: Any, metrics: Any,
                 pacer: Pacer | None = None) -> None:
        self.settings = settings
        self.store = store
        self.session = session
        self.metrics = metrics
        self.pacer = pacer or Pacer(settings)
        self._token = f"Bearer {settings.whatsapp_token.get_secret_value()}".encode()

    def authorized(self, headers: dict[str, str]) -> bool:
        return hmac.compare_digest(headers.get("authorization", "").encode(), self._token)

    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes, base_url: str) -> Reply:
        try:
            if not self.authorized(headers):
                raise GraphError(190, "Error validating access token: the bridge's WHATSAPP_TOKEN does not match")
            download = re.fullmatch(r"/media/download/([0-9]{1,20})", path)
            if download and method == "GET":
                found = self.store.media_bytes(download.group(1))
                if found is None:
                    raise GraphError(100, "Media not found", status=404)
                return Reply(200, found)
            match = ROUTE.match(path)
            if not match:
                raise GraphError(100, f"Unsupported {method.lower()} request. Object with ID '{path}' does not exist")
            target, edge = match.groups()
            if method == "GET" and edge is None:
                return Reply(200, self._media_url(target, base_url))
            if method != "POST" or edge is None:
                raise GraphError(100, f"Unsupported {method.lower()} request")
            if target != self.settings.whatsapp_phone_id:
                raise GraphError(100, f"Unsupported post request. Object with ID '{target}' does not exist "
                                      "(WHATSAPP_PHONE_ID differs)")
            if edge == "media":
                return Reply(200, self._upload(headers, raw))
            try:
                body = json.loads(raw)
            except ValueError:
                raise GraphError(100, "Invalid JSON in the request body") from None
            if not isinstance(body, dict):
                raise GraphError(100, "The request body must be a JSON object")
            if "status" in body:
                return Reply(200, self._read(body))
            return Reply(200, self._send(body))
        except GraphError as exc:
            self.metrics.graph_errors.labels(str(exc.code)).inc()
            return Reply(exc.status, exc.body())
        except StoreUnavailable as exc:
            log.error("graph request failed, store unavailable: %s", exc)
            self.metrics.graph_errors.labels("131016").inc()
            err = GraphError(131016, "Service unavailable: the bridge's store is unreachable")
            return Reply(err.status, err.body())

    # -- messages ---------------------------------------------------------------------------------

    def _recipient(self, body: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
        """(chat JID, the digits that ask, the send answer's contact)."""
        if body.get("recipient"):
            m = USER_ID.match(str(body["recipient"]))
            if not m:
                raise GraphError(100, "Param recipient must be a user id (ID.<digits>)")
            found = self.store.chat_for(lid=m.group(1))
            chat, wrote = found if found else (f"{m.group(1)}@lid", False)
            # (admins are known by phone number: one who never wrote is reachable by number only)
            ask, contact = m.group(1), {"input": body["recipient"], "user_id": body["recipient"]}
        else:
            to = re.sub(r"[\s+\-()]", "", str(body.get("to") or ""))
            if not re.fullmatch(r"[0-9]{7,20}", to):
                raise GraphError(100, "Param to must be a phone number in international digits")
            found = self.store.chat_for(pn=to)
            chat, wrote = found if found else (f"{to}@s.whatsapp.net", False)
            ask, contact = to, {"input": str(body["to"]), "wa_id": to}
        if not wrote and ask not in self.settings.admins:
            raise GraphError(131047, "Re-engagement message: this bridge sends only to people who wrote to the shop "
                                     "first (admins in BRIDGE_ADMIN_WA_IDS aside)")
        return chat, ask, contact

    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("messaging_product") != "whatsapp":
            raise GraphError(100, "Param messaging_product must be whatsapp")
        kind = body.get("type") or "text"
        chat, _, contact = self._recipient(body)
        state = self.session.state.code
        if state == s.TEMP_BANNED:
            raise GraphError(131048, "Spam rate limit hit: the number is temporarily banned; sending stopped")
        if state != s.OK:
            raise GraphError(131016, f"Service unavailable: the WhatsApp session is {state}")
        options = reply_kind = None
        part = body.get(kind) if isinstance(body.get(kind), dict) else {}
        if kind == "text":
            text = str(part.get("body") or "")
            if not text:
                raise GraphError(100, "Param text.body is required")
            call, length = (lambda: self.session.send_text(chat, text)), len(text)
        elif kind == "interactive":
            text, reply_kind, options = numbered(part)
            call, length = (lambda: self.session.send_text(chat, text, cloud_type="interactive")), len(text)
        elif kind == "template":
            text = template_text(part)
            call, length = (lambda: self.session.send_text(chat, text, cloud_type="template")), len(text)
        elif kind == "image":
            data, mime = self._media_of(part)
            caption = part.get("caption")
            call, length = (lambda: self.session.send_image(chat, data, mime, caption)), len(caption or "") + 20
        elif kind == "audio":
            data, _ = self._media_of(part)
            try:
                ogg, seconds = voice_note(data)
            except AudioError as exc:
                raise GraphError(131053, f"Media upload error: the audio could not be made a voice note ({exc})") from exc
            call, length = (lambda: self.session.send_voice(chat, ogg, seconds)), 40
        else:
            raise GraphError(100, f"Param type {kind!r} is not supported by this bridge "
                                  "(text, interactive, template, image, audio)")
        try:
            sent = self.pacer.run(chat, length, self.session, call)
        except s.SendFailed as exc:
            if exc.permanent:
                raise GraphError(131026, f"Message undeliverable: {exc}") from exc
            raise GraphError(131016, f"Service unavailable: {exc}") from exc
        try:
            self.store.record_sent(sent.id, chat, kind, options=options, kind=reply_kind,
                                   tracker=body.get("biz_opaque_callback_data"))
        except StoreUnavailable as exc:  # WhatsApp has it: answering an error would have it sent twice
            log.error("sent %s to %s but could not record it (its number answers and tracker are lost): %s",
                      sent.id, chat, exc)
        self.metrics.sent.labels(kind).inc()
        return {"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": sent.id}]}

    def _media_of(self, part: dict[str, Any]) -> tuple[bytes, str]:
        if part.get("id"):
            found = self.store.media_bytes(str(part["id"]))
            if found is None:
                raise GraphError(131053, f"Media upload error: no media with id {part['id']}")
            return found
        if part.get("link"):
            return self._fetch_link(str(part["link"]))
        raise GraphError(100, "Param id or link is required for media")

    def _fetch_link(self, link: str) -> tuple[bytes, str]:
        import httpx

        if not re.match(r"^https?://", link):
            raise GraphError(100, "Param link must be an http(s) URL")
        try:
            with httpx.Client(timeout=10, follow_redirects=True) as http, http.stream("GET", link) as r:
                r.raise_for_status()
                data = bytearray()
                for chunk in r.iter_bytes():
                    data += chunk
                    if len(data) > MAX_LINK_BYTES:
                        raise GraphError(131053, "Media upload error: the linked file is too large")
                return bytes(data), r.headers.get("content-type", "application/octet-stream").split(";")[0]
        except httpx.HTTPError as exc:
            raise GraphError(131053, f"Media upload error: could not download {link} ({type(exc).__name__})") from exc

    def _read(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("status") != "read" or not body.get("message_id"):
            raise GraphError(100, "Param status must be read, with message_id")
        mid = str(body["message_id"])
        chat = self.store.event_chat(mid)
        if chat is None:
            raise GraphError(100, f"Invalid parameter: message_id {mid} is not a message this bridge received")
        try:
            self.session.mark_read(chat, [mid])
            if isinstance(body.get("typing_indicator"), dict):
                self.session.typing(chat, True)
        except s.SendFailed as exc:
            raise GraphError(131016, f"Service unavailable: {exc}") from exc
        return {"success": True}

    # -- media ------------------------------------------------------------------------------------

    def _upload(self, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
        from email.parser import BytesParser
        from email.policy import HTTP

        if len(raw) > self.settings.bridge_media_max_mb * 1024 * 1024:
            raise GraphError(131053, "Media upload error: the file is over BRIDGE_MEDIA_MAX_MB")
        ctype = headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            raise GraphError(100, "Param file must be sent as multipart/form-data")
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        if "file" not in parts:
            raise GraphError(100, "Param file must be a file with one of the supported types")
        data = parts["file"].get_payload(decode=True) or b""
        declared = parts.get("type")
        mime = (declared.get_payload(decode=True) or b"").decode().strip() if declared is not None else ""
        mime = mime or parts["file"].get_content_type()
        new_id = media_id()
        self.store.put_media(new_id, data, mime, parts["file"].get_filename())
        return {"id": new_id}

    def _media_url(self, target: str, base_url: str) -> dict[str, Any]:
        if not target.isdigit():
            raise GraphError(100, f"Unsupported get request. Object with ID '{target}' does not exist")
        info = self.store.media_info(target)
        if info is None:
            raise GraphError(100, f"Unsupported get request. Object with ID '{target}' does not exist", status=404)
        mime, digest, size, _ = info
        return {"messaging_product": "whatsapp", "url": f"{base_url}/media/download/{target}", "mime_type": mime,
                "sha256": digest.hex(), "file_size": size, "id": target}

