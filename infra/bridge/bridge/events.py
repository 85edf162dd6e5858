"""Session events (neutral JSON, as committed to the outbox) → the Cloud API webhook bodies Meta
posts. Both sessions commit these shapes; rendering happens at delivery, so it can look up what
the bridge sent (a number answer's button, a status's tracker).

A message event::

    {"id", "ts" (Unix s), "pn" (digits or null), "lid" (digits or null), "name",
     "type": text | image | audio | video | document | sticker | location | contacts | reaction | unsupported,
     "text", "context" (quoted message id), "quoted_from" (digits),
     "media": {"id", "mime_type", "sha256" (base64), "caption", "filename", "voice"},
     "location": {...}, "contacts": [...], "reaction": {"message_id", "emoji"}, "error": {...}}

An echo (the seller typing on the phone) has ``to_pn`` / ``to_lid`` instead of ``pn`` / ``lid``;
a receipt is ``{"ids": [...], "status": delivered | read, "ts", "pn", "lid", "name"}``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Callable, Protocol

NUMBER_ANSWER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
UNSUPPORTED = {"code": 131051, "title": "Message type unknown", "message": "Message type unknown",
               "error_data": {"details": "Message type is currently not supported."}}
MEDIA_LOST = {"code": 131052, "title": "Media download error", "message": "Media download error",
              "error_data": {"details": "The media could not be downloaded from WhatsApp."}}


class Lookups(Protocol):
    def latest_sent(self, chat: str, before: datetime) -> tuple[str, str | None, list[dict[str, str]] | None, datetime] | None: ...

    def trackers(self, ids: list[str]) -> dict[str, tuple[str, str | None]]: ...


def user_id(lid: str | None) -> str | None:
    """The business-scoped user id the functions key customers on: the bridge's own scheme,
    ``ID.<lid digits>`` (pywa sends it back as ``recipient``)."""
    return f"ID.{lid}" if lid else None


def contact(pn: str | None, lid: str | None, name: str | None) -> dict[str, Any]:
    c: dict[str, Any] = {"profile": {"name": name or ""}}
    if pn:
        c["wa_id"] = pn
    if lid:
        c["user_id"] = user_id(lid)
    return c


class Renderer:
    """Renders committed events for one shop number."""

    def __init__(self, phone_id: str, display_number: Callable[[], str], quote_ttl_seconds: int,
                 lookups: Lookups) -> None:
        self.phone_id = phone_id
        self._display = display_number
        self.quote_ttl = timedelta(seconds=quote_ttl_seconds)
        self.lookups = lookups

    @property
    def display_number(self) -> str:
        return self._display()

    def body(self, field: str, value: dict[str, Any]) -> dict[str, Any]:
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": self.display_number, "phone_number_id": self.phone_id}} | value
        return {"object": "whatsapp_business_account",
                "entry": [{"id": self.phone_id, "changes": [{"value": value, "field": field}]}]}

    def render(self, kind: str, chat: str, event: dict[str, Any], committed_at: datetime) -> dict[str, Any]:
        if kind == "message":
            return self.body("messages", {"contacts": [contact(event.get("pn"), event.get("lid"), event.get("name"))],
                                          "messages": [self.message(chat, event, committed_at)]})
        if kind == "echo":
            return self.body("smb_message_echoes", {"message_echoes": [self.echo(event)]})
        return self.body("messages", {"contacts": [contact(event.get("pn"), event.get("lid"), event.get("name"))],
                                      "statuses": self.statuses(event)})

    def message(self, chat: str, e: dict[str, Any], committed_at: datetime) -> dict[str, Any]:
        m: dict[str, Any] = {}
        if e.get("pn"):
            m["from"] = e["pn"]
        if e.get("lid"):
            m["from_user_id"] = user_id(e["lid"])
        m |= {"id": e["id"], "timestamp": str(int(e["ts"]))}
        kind = e["type"]
        if kind == "text":
            choice = self._choice(chat, e.get("text") or "", committed_at)
            if choice is not None:
                sent_id, reply_kind, option = choice
                reply = {k: option[k] for k in ("id", "title", "description") if option.get(k)}
                if reply_kind == "button":
                    reply.pop("description", None)
                m |= {"context": {"from": self.display_number, "id": sent_id}, "type": "interactive",
                      "interactive": {"type": f"{reply_kind}_reply", f"{reply_kind}_reply": reply}}
                return m
            m |= {"type": "text", "text": {"body": e.get("text") or ""}}
        elif kind in ("image", "audio", "video", "document", "sticker"):
            media = e.get("media") or {}
            obj: dict[str, Any] = {k: media[k] for k in ("mime_type", "sha256", "id") if media.get(k)}
            if media.get("caption") and kind in ("image", "video", "document"):
                obj["caption"] = media["caption"]
            if kind == "document" and media.get("filename"):
                obj["filename"] = media["filename"]
            if kind == "audio":
                obj["voice"] = bool(media.get("voice"))
            if kind == "sticker":
                obj["animated"] = bool(media.get("animated"))
            m |= {"type": kind, kind: obj}
        elif kind == "location":
            m |= {"type": "location", "location": e.get("location") or {}}
        elif kind == "contacts":
            m |= {"type": "contacts", "contacts": e.get("contacts") or []}
        elif kind == "reaction":
            m |= {"type": "reaction", "reaction": e.get("reaction") or {}}
        else:
            m |= {"type": "unsupported", "errors": [e.get("error") or UNSUPPORTED]}
        if e.get("context") and "context" not in m:
            m["context"] = {"from": e.get("quoted_from") or self.display_number, "id": e["context"]}
        return m

    def _choice(self, chat: str, text: str, committed_at: datetime) -> tuple[str, str, dict[str, str]] | None:
        """A bare number answering the chat's latest outbound message, while that message is
        interactive and younger than QUOTE_TTL_SECONDS: (its id, button | list, the option)."""
        match = NUMBER_ANSWER.match(text)
        if not match:
            return None
        latest = self.lookups.latest_sent(chat, committed_at)
        if latest is None:
            return None
        sent_id, reply_kind, options, sent_at = latest
        n = int(match.group(1))
        if not options or reply_kind not in ("button", "list") or not 1 <= n <= len(options):
            return None
        if committed_at - sent_at > self.quote_ttl:
            return None
        return sent_id, reply_kind, options[n - 1]

    def echo(self, e: dict[str, Any]) -> dict[str, Any]:
        m: dict[str, Any] = {"from": self.display_number}
        if e.get("to_pn"):
            m["to"] = e["to_pn"]
        if e.get("to_lid"):
            m["to_user_id"] = user_id(e["to_lid"])
        m |= {"id": e["id"], "timestamp": str(int(e["ts"]))}
        kind = e["type"]
        if kind == "text":
            m |= {"type": "text", "text": {"body": e.get("text") or ""}}
        elif kind in ("image", "audio", "video", "document", "sticker"):
            media = e.get("media") or {}
            m |= {"type": kind, kind: {k: media[k] for k in ("mime_type", "sha256", "id", "caption") if media.get(k)}}
        else:
            m |= {"type": "unsupported", "errors": [UNSUPPORTED]}
        return m

    def statuses(self, e: dict[str, Any]) -> list[dict[str, Any]]:
        trackers = self.lookups.trackers(list(e["ids"]))
        recipient = e.get("pn") or user_id(e.get("lid")) or ""
        out = []
        for mid in e["ids"]:
            s: dict[str, Any] = {"id": mid, "status": e["status"], "timestamp": str(int(e["ts"])),
                                 "recipient_id": recipient}
            if e.get("lid"):
                s["recipient_user_id"] = user_id(e["lid"])
            tracker = trackers.get(mid, (None, None))[1]
            if tracker:
                s["biz_opaque_callback_data"] = tracker
            out.append(s)
        return out

