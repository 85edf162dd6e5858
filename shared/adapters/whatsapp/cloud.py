"""Cloud API webhook bodies → our own frozen types (pure: no SDK, shared with the bridge).

We parse ourselves instead of through pywa, whose parser silently drops updates without
``contacts[].user_id``, media without ``sha256``, list replies without ``context`` and statuses
without ``contacts``. Here every ``entry[]``, ``changes[]``, ``messages[]``, ``statuses[]``,
``message_echoes[]`` and ``errors[]`` of one body is read; a sender is known by phone (``wa_id``),
by business-scoped ``user_id``, or both; the replied-to ``context`` is kept.

One malformed item is skipped and counted (``Update.skipped``), never the whole body: a body Meta
signed is answered 200 so it is not retried for days. Only a body whose shape is not a webhook at
all raises :class:`BadUpdate` (answer 400).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from shared.domain.turns import MESSAGE_KINDS, InboundMessage, ReplyChoice

log = logging.getLogger(__name__)

_WA_ID = re.compile(r"^[1-9][0-9]{6,14}$")
_USER_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_WAMID = re.compile(r"^[A-Za-z0-9._:=+/\-]{1,200}$")
MEDIA_KINDS = ("image", "audio", "video", "document", "sticker")
DELIVERY = ("sent", "delivered", "read", "failed")
MAX_TEXT = 65536  # what messages.body holds; WhatsApp itself caps text at 4,096


class BadUpdate(ValueError):
    """The body is not a WhatsApp webhook at all (answer 400)."""


@dataclass(frozen=True)
class Sender:
    wa_id: str | None
    user_id: str | None
    name: str | None = None


@dataclass(frozen=True)
class Media:
    id: str
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool = False


@dataclass(frozen=True)
class WaError:
    """An error WhatsApp reported (in ``value.errors``, a message or a status)."""

    code: int | None
    title: str | None = None
    message: str | None = None
    details: str | None = None


@dataclass(frozen=True)
class Message:
    """One customer message. ``text`` is what a turn reads: the body, a caption, a tapped button's
    or row's title, or a shared contact's number."""

    wamid: str
    sender: Sender
    kind: str
    timestamp: datetime | None = None
    text: str | None = None
    media: Media | None = None
    reply: ReplyChoice | None = None
    context_id: str | None = None  # the message this one replies to
    location: Mapping[str, Any] | None = None
    reaction: Mapping[str, Any] | None = None
    errors: tuple[WaError, ...] = ()

    def to_inbound(self) -> InboundMessage:
        payload: dict[str, Any] = {}
        if self.media:
            payload["media"] = {k: v for k, v in vars(self.media).items() if v not in (None, False)}
        if self.context_id:
            payload["context"] = self.context_id
        if self.location:
            payload["location"] = dict(self.location)
        if self.reaction:
            payload["reaction"] = dict(self.reaction)
        if self.errors:
            payload["errors"] = [e.code for e in self.errors]
        return InboundMessage(wamid=self.wamid, kind=self.kind, text=self.text, wa_id=self.sender.wa_id,
                              user_id=self.sender.user_id, name=self.sender.name, payload=payload,
                              sent_at=self.timestamp, reply=self.reply)


@dataclass(frozen=True)
class Status:
    """A delivery status of a message we sent."""

    wamid: str
    status: str  # sent | delivered | read | failed
    recipient: str | None = None
    timestamp: datetime | None = None
    tracker: str | None = None  # biz_opaque_callback_data, as we sent it
    errors: tuple[WaError, ...] = ()


@dataclass(frozen=True)
class Echo:
    """A message the seller typed in the WhatsApp Business app on the shop's number."""

    wamid: str
    to: Sender
    kind: str
    text: str | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True)
class Update:
    messages: tuple[Message, ...] = ()
    statuses: tuple[Status, ...] = ()
    echoes: tuple[Echo, ...] = ()
    errors: tuple[WaError, ...] = ()
    skipped: int = 0  # items that could not be read, or changes for another phone number / field

    @property
    def empty(self) -> bool:
        return not (self.messages or self.statuses or self.echoes)


# -- reading ----------------------------------------------------------------------------------------


def _str(value: Any, limit: int = 1024) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    if not 0 < seconds < 10**11:
        return None
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _wa_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _WA_ID.match(value) else None


def _user_id(value: Any) -> str | None:
    return value if isinstance(value, str) and _USER_ID.match(value) else None


def _errors(items: Any) -> tuple[WaError, ...]:
    out = []
    for e in items if isinstance(items, list) else ():
        if not isinstance(e, dict):
            continue
        code = e.get("code")
        data = e.get("error_data") if isinstance(e.get("error_data"), dict) else {}
        out.append(WaError(code if isinstance(code, int) else None, _str(e.get("title")), _str(e.get("message")),
                           _str(data.get("details"))))
    return tuple(out)


def _senders(contacts: Any) -> list[Sender]:
    found = []
    for c in contacts if isinstance(contacts, list) else ():
        if isinstance(c, dict):
            profile = c.get("profile") if isinstance(c.get("profile"), dict) else {}
            found.append(Sender(_wa_id(c.get("wa_id")), _user_id(c.get("user_id")), _str(profile.get("name"), 200)))
    return found


def _sender(m: Mapping[str, Any], contacts: list[Sender]) -> Sender | None:
    wa_id, user_id = _wa_id(m.get("from")), _user_id(m.get("from_user_id"))
    if m.get("from") and not wa_id and not user_id:
        user_id = _user_id(m.get("from"))  # a username-only sender may come with its user id in `from`
    match = next((c for c in contacts if (wa_id and c.wa_id == wa_id) or (user_id and c.user_id == user_id)), None)
    if match is None and len(contacts) == 1 and not (wa_id or user_id):
        match = contacts[0]
    if match is not None:
        wa_id, user_id = wa_id or match.wa_id, user_id or match.user_id
    if not (wa_id or user_id):
        return None
    return Sender(wa_id, user_id, match.name if match else None)


def _media(kind: str, obj: Any) -> Media | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), (str, int)):
        return None
    return Media(id=str(obj["id"])[:200], mime_type=_str(obj.get("mime_type"), 200), sha256=_str(obj.get("sha256"), 200),
                 caption=_str(obj.get("caption"), MAX_TEXT), filename=_str(obj.get("filename"), 255),
                 voice=kind == "audio" and obj.get("voice") is True)


def _contact_number(obj: Any) -> str | None:
    """The first phone number of a shared contact card ("isi ke nomor ini")."""
    for card in obj if isinstance(obj, list) else ():
        for phone in (card.get("phones") if isinstance(card, dict) and isinstance(card.get("phones"), list) else ()):
            if isinstance(phone, dict):
                number = _wa_id(phone.get("wa_id")) or _str(phone.get("phone"), 40)
                if number:
                    return number
    return None


def _message(m: Mapping[str, Any], contacts: list[Sender]) -> Message | None:
    wamid = m.get("id")
    if not isinstance(wamid, str) or not _WAMID.match(wamid):
        return None
    sender = _sender(m, contacts)
    if sender is None:
        return None
    kind = m.get("type") if m.get("type") in MESSAGE_KINDS else "unsupported"
    text: str | None = None
    media = reply = None
    location = reaction = None
    if kind == "text" and isinstance(m.get("text"), dict):
        text = _str(m["text"].get("body"), MAX_TEXT)
    elif kind in MEDIA_KINDS:
        media = _media(kind, m.get(kind))
        text = media.caption if media else None
    elif kind == "interactive" and isinstance(m.get("interactive"), dict):
        i = m["interactive"]
        picked = i.get(i.get("type")) if i.get("type") in ("button_reply", "list_reply") else None
        if isinstance(picked, dict) and isinstance(picked.get("id"), str):
            reply = ReplyChoice("list" if i["type"] == "list_reply" else "button", picked["id"][:256],
                                _str(picked.get("title"), 256), _str(picked.get("description"), 256))
            text = reply.title or reply.id
        else:
            kind = "unsupported"  # a Flow answer, or something newer than this parser
    elif kind == "button" and isinstance(m.get("button"), dict):
        b = m["button"]
        if isinstance(b.get("payload"), str) or isinstance(b.get("text"), str):
            reply = ReplyChoice("button", _str(b.get("payload"), 256) or _str(b.get("text"), 256) or "",
                                _str(b.get("text"), 256))
            text = reply.title or reply.id
    elif kind == "location" and isinstance(m.get("location"), dict):
        loc = m["location"]
        location = {k: loc[k] for k in ("latitude", "longitude", "name", "address")
                    if isinstance(loc.get(k), (int, float, str)) and not isinstance(loc.get(k), bool)}
    elif kind == "contacts":
        text = _contact_number(m.get("contacts"))
    elif kind == "reaction" and isinstance(m.get("reaction"), dict):
        r = m["reaction"]
        reaction = {"message_id": _str(r.get("message_id"), 200), "emoji": _str(r.get("emoji"), 32)}
    context = m.get("context") if isinstance(m.get("context"), dict) else {}
    return Message(wamid=wamid, sender=sender, kind=kind, timestamp=_time(m.get("timestamp")), text=text, media=media,
                   reply=reply, context_id=_str(context.get("id"), 200), location=location, reaction=reaction,
                   errors=_errors(m.get("errors")))


def _status(s: Mapping[str, Any]) -> Status | None:
    wamid, status = s.get("id"), s.get("status")
    if not isinstance(wamid, str) or not _WAMID.match(wamid) or status not in DELIVERY:
        return None
    return Status(wamid=wamid, status=status, recipient=_str(s.get("recipient_id"), 200), timestamp=_time(s.get("timestamp")),
                  tracker=_str(s.get("biz_opaque_callback_data"), 512), errors=_errors(s.get("errors")))


def _echo(e: Mapping[str, Any]) -> Echo | None:
    wamid = e.get("id")
    if not isinstance(wamid, str) or not _WAMID.match(wamid):
        return None
    to = Sender(_wa_id(e.get("to")), _user_id(e.get("to_user_id")))
    if not (to.wa_id or to.user_id):
        return None
    kind = e.get("type") if e.get("type") in MESSAGE_KINDS else "unsupported"
    text = None
    if kind == "text" and isinstance(e.get("text"), dict):
        text = _str(e["text"].get("body"), MAX_TEXT)
    elif kind in MEDIA_KINDS and isinstance(e.get(kind), dict):
        text = _str(e[kind].get("caption"), MAX_TEXT)
    return Echo(wamid=wamid, to=to, kind=kind, text=text, timestamp=_time(e.get("timestamp")))


def parse_update(body: Mapping[str, Any], *, phone_id: str | None = None) -> Update:
    """Read a webhook body. Changes addressed to another ``phone_number_id`` than ours (when set)
    and fields we do not handle are skipped."""
    if body.get("object") != "whatsapp_business_account":
        if "object" in body and isinstance(body.get("object"), str):
            return Update(skipped=1)  # another product's webhook (page, instagram): not ours to read
        raise BadUpdate("not a WhatsApp webhook (no object)")
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise BadUpdate("entry must be a list")
    messages: list[Message] = []
    statuses: list[Status] = []
    echoes: list[Echo] = []
    errors: list[WaError] = []
    skipped = 0
    for entry in entries:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            skipped += 1
            continue
        for change in changes:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict) or change.get("field") not in ("messages", "smb_message_echoes"):
                skipped += 1
                continue
            metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
            if phone_id and metadata.get("phone_number_id") not in (None, phone_id):
                log.warning("webhook change for phone number id %s skipped (ours is %s)",
                            metadata.get("phone_number_id"), phone_id)
                skipped += 1
                continue
            contacts = _senders(value.get("contacts"))
            errors += _errors(value.get("errors"))
            for kind, items, read in (("message", value.get("messages"), lambda i: _message(i, contacts)),
                                      ("status", value.get("statuses"), _status),
                                      ("echo", value.get("message_echoes"), _echo)):
                for item in items if isinstance(items, list) else ():
                    parsed = read(item) if isinstance(item, dict) else None
                    if parsed is None:
                        log.warning("webhook %s skipped: unreadable (%s)", kind, str(item)[:200])
                        skipped += 1
                    elif isinstance(parsed, Message):
                        messages.append(parsed)
                    elif isinstance(parsed, Status):
                        statuses.append(parsed)
                    else:
                        echoes.append(parsed)
    return Update(tuple(messages), tuple(statuses), tuple(echoes), tuple(errors), skipped)

