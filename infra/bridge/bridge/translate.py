"""neonize's protobuf events → the bridge's neutral events (pure: no I/O, no client).

Runs on whatsmeow's event thread for every event, so it only reads fields: a missing phone
number or LID is looked up through the ``pn_of`` / ``lid_of`` callables the session passes in.
Groups, broadcasts, status posts and protocol messages (revokes, edits) never become events.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from bridge.delivery import media_id

PN, LID = "s.whatsapp.net", "lid"
MEDIA_FIELDS = {"imageMessage": "image", "audioMessage": "audio", "videoMessage": "video",
                "documentMessage": "document", "stickerMessage": "sticker"}
RECEIPTS = {1: "delivered", 4: "read", 6: "read"}  # neonize.Receipt.ReceiptType: DELIVERED, READ, PLAYED
_TEL = re.compile(r"^(?:item\d+\.)?TEL([^:]*):(.+)$", re.IGNORECASE | re.MULTILINE)


def jid_str(jid: Any) -> str:
    return f"{jid.User}@{jid.Server}" if jid.User else ""


def _ignored_chat(src: Any) -> bool:
    chat = src.Chat
    return bool(src.IsGroup or chat.Server in ("g.us", "broadcast", "newsletter") or chat.User == "status")


def seconds(ts: int) -> int:
    return int(ts // 1000 if ts > 10**11 else ts)


def _contacts(msg: Any) -> list[dict[str, Any]]:
    cards = [msg.contactMessage] if msg.HasField("contactMessage") else list(msg.contactsArrayMessage.contacts)
    out = []
    for card in cards:
        phones = []
        for params, number in _TEL.findall(card.vcard or ""):
            phone: dict[str, Any] = {"phone": number.strip(), "type": "CELL"}
            waid = re.search(r"waid=(\d+)", params, re.IGNORECASE)
            if waid:
                phone["wa_id"] = waid.group(1)
            phones.append(phone)
        name = card.displayName or ""
        out.append({"name": {"formatted_name": name, "first_name": name}, "phones": phones})
    return out


def message_event(ev: Any, *, pn_of: Any = None, lid_of: Any = None) -> tuple[str, str, dict[str, Any]] | None:
    """A neonize ``MessageEv`` → ("message" | "echo", chat JID, neutral event), or None for what the
    functions never see (groups, broadcasts, status posts, protocol messages, empty stubs).
    ``pn_of`` / ``lid_of`` look a missing phone number / LID up in whatsmeow's LID map."""
    info, msg = ev.Info, ev.Message
    src = info.MessageSource
    if _ignored_chat(src):
        return None
    from_me = src.IsFromMe
    person = src.Chat if from_me else src.Sender
    alt = src.RecipientAlt if from_me else src.SenderAlt
    pn = lid = None
    if person.Server == LID:
        lid = person.User
        pn = alt.User if alt.Server == PN and alt.User else (pn_of(person) if pn_of else None)
    elif person.Server == PN:
        pn = person.User
        lid = alt.User if alt.Server == LID and alt.User else (lid_of(person) if lid_of else None)
    else:
        return None
    e: dict[str, Any] = {"id": info.ID, "ts": seconds(info.Timestamp)}
    e |= {"to_pn": pn, "to_lid": lid} if from_me else {"pn": pn, "lid": lid, "name": info.Pushname or None}
    context = None
    if msg.HasField("conversation") or msg.HasField("extendedTextMessage"):
        e |= {"type": "text", "text": msg.conversation or msg.extendedTextMessage.text}
        context = msg.extendedTextMessage.contextInfo if msg.HasField("extendedTextMessage") else None
    elif any(msg.HasField(f) for f in MEDIA_FIELDS):
        field = next(f for f in MEDIA_FIELDS if msg.HasField(f))
        sub = getattr(msg, field)
        kind = MEDIA_FIELDS[field]
        media: dict[str, Any] = {"id": media_id(), "mime_type": (sub.mimetype or "").split(";")[0].strip() or None,
                                 "sha256": base64.b64encode(sub.fileSHA256).decode() if sub.fileSHA256 else None,
                                 "size": int(sub.fileLength) or None}
        if kind in ("image", "video", "document") and sub.caption:
            media["caption"] = sub.caption
        if kind == "document" and sub.fileName:
            media["filename"] = sub.fileName
        if kind == "audio":
            media["voice"] = bool(sub.PTT)
            media["mime_type"] = sub.mimetype or "audio/ogg"
        if kind == "sticker":
            media["animated"] = bool(sub.isAnimated)
        e |= {"type": kind, "media": media, "_source": base64.b64encode(msg.SerializeToString()).decode()}
        context = sub.contextInfo
    elif msg.HasField("locationMessage"):
        loc = msg.locationMessage
        where: dict[str, Any] = {"latitude": loc.degreesLatitude, "longitude": loc.degreesLongitude}
        if loc.name:
            where["name"] = loc.name
        if loc.address:
            where["address"] = loc.address
        e |= {"type": "location", "location": where}
    elif msg.HasField("contactMessage") or msg.HasField("contactsArrayMessage"):
        e |= {"type": "contacts", "contacts": _contacts(msg)}
    elif msg.HasField("reactionMessage"):
        e |= {"type": "reaction", "reaction": {"message_id": msg.reactionMessage.key.ID,
                                               "emoji": msg.reactionMessage.text}}
    elif msg.HasField("protocolMessage") or (msg.HasField("senderKeyDistributionMessage") and len(msg.ListFields()) == 1):
        return None  # a revoke, an edit, a key exchange: not a message anyone typed
    else:
        e["type"] = "unsupported"
    if context is not None and context.stanzaID:
        e["context"] = context.stanzaID
        if context.participant:
            e["quoted_from"] = context.participant.split("@")[0]
    return ("echo" if from_me else "message"), jid_str(src.Chat), e


def receipt_event(ev: Any, *, pn_of: Any = None, lid_of: Any = None) -> tuple[str, dict[str, Any]] | None:
    """A neonize ``ReceiptEv`` from a customer → (chat JID, neutral receipt), or None."""
    src = ev.MessageSource
    status = RECEIPTS.get(ev.Type)
    if status is None or _ignored_chat(src) or src.IsFromMe or not ev.MessageIDs:
        return None
    chat = src.Chat
    pn = lid = None
    if chat.Server == LID:
        lid = chat.User
        alt = src.SenderAlt
        pn = alt.User if alt.Server == PN and alt.User else (pn_of(chat) if pn_of else None)
    elif chat.Server == PN:
        pn = chat.User
        lid = src.SenderAlt.User if src.SenderAlt.Server == LID and src.SenderAlt.User else (
            lid_of(chat) if lid_of else None)
    return jid_str(chat), {"ids": list(ev.MessageIDs), "status": status, "ts": seconds(ev.Timestamp),
                           "pn": pn, "lid": lid}
