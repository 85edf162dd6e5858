"""neonize events built from its real protobuf types, serialized the way the Go library hands them
over, and dispatched through neonize's own decode path (``Event.execute``), as whatsmeow would.

Each case has a fixture file ``tests/data/cloud_api/<case>.json``: the exact Cloud API webhook
body the bridge must post for it, which ``tests/functions/test_bridge_fixtures.py`` feeds to
``whatsapp_webhook`` from the other side.
"""

from __future__ import annotations

import ctypes
import json
from pathlib import Path
from typing import Any

from neonize import events as ev
from neonize.proto.Neonize_pb2 import JID, MessageInfo, MessageSource
from neonize.proto.waCommon.WACommon_pb2 import MessageKey
from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as e2e

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "cloud_api"
LID, PN, NAME = "123456789012345", "6281234567890", "Budi"
SHOP_PN, SHOP_LID = "6281100000000", "987654321098765"
TS_MS = 1796130000000  # 2026-12-01, as whatsmeow's encoder writes it: Unix milliseconds
MEDIA_BYTES = {"image": b"\x89PNG\r\n\x1a\n" + b"img" * 50, "audio": b"OggS" + b"voice" * 40,
               "video": b"\x00\x00\x00\x18ftypmp42" + b"v" * 64, "document": b"%PDF-1.4 struk",
               "sticker": b"RIFF\x20\x00\x00\x00WEBPVP8 " + b"s" * 20}
FLAGS = dict.fromkeys(["IsEphemeral", "IsViewOnce", "IsViewOnceV2", "IsViewOnceV2Extension", "IsDocumentWithCaption",
                       "IsLottieSticker", "IsEdit"], False)


def jid(user: str = "", server: str = "") -> JID:
    return JID(User=user, Server=server, RawAgent=0, Device=0, Integrator=0, IsEmpty=not user)


def source(*, sender: JID | None = None, alt: JID | None = None, chat: JID | None = None, from_me: bool = False,
           group: bool = False, recipient_alt: JID | None = None) -> MessageSource:
    sender = sender or jid(LID, "lid")
    return MessageSource(Chat=chat or sender, Sender=sender, IsFromMe=from_me, IsGroup=group,
                         SenderAlt=alt if alt is not None else jid(PN, "s.whatsapp.net"),
                         RecipientAlt=recipient_alt or jid(), BroadcastListOwner=jid())


def message(msg: e2e.Message, mid: str, src: MessageSource | None = None, name: str = NAME) -> bytes:
    info = MessageInfo(MessageSource=src or source(), ID=mid, ServerID=0, Type="text", Pushname=name,
                       Timestamp=TS_MS, Category="", Multicast=False, MediaType="", Edit="")
    return ev.MessageEv(Info=info, Message=msg, UnavailableRequestID="", RetryCount=0, **FLAGS).SerializeToString()


def receipt(ids: list[str], kind: str, src: MessageSource | None = None) -> bytes:
    return ev.ReceiptEv(MessageSource=src or source(), MessageIDs=ids, Timestamp=TS_MS + 5000,
                        Type=kind).SerializeToString()


def dispatch(client: Any, kind: type, blob: bytes) -> None:
    """What the Go library does for each event: a buffer and its event code, into ``execute``."""
    buf = ctypes.create_string_buffer(blob, len(blob))
    client.event.execute(b"uuid", ctypes.addressof(buf), len(blob), ev.EVENT_TO_INT[kind])


def _media(kind: str, **fields: Any) -> e2e.Message:
    import hashlib

    data = MEDIA_BYTES[kind]
    common = dict(fileSHA256=hashlib.sha256(data).digest(), fileLength=len(data), directPath=f"/v/t62/{kind}.enc",
                  mediaKey=b"k" * 32, URL=f"https://mmg.whatsapp.net/v/t62/{kind}.enc")
    cls = {"image": e2e.ImageMessage, "audio": e2e.AudioMessage, "video": e2e.VideoMessage,
           "document": e2e.DocumentMessage, "sticker": e2e.StickerMessage}[kind]
    return e2e.Message(**{f"{kind}Message": cls(**common, **fields)})


VCARD = ("BEGIN:VCARD\nVERSION:3.0\nN:;Adik;;;\nFN:Adik\n"
         "item1.TEL;waid=6285712345678:+62 857-1234-5678\nitem1.X-ABLabel:Ponsel\nEND:VCARD")

# case → (event class, serialized event); ids are fixed so the fixtures are exact
CASES: dict[str, tuple[type, bytes]] = {
    "text": (ev.MessageEv, message(e2e.Message(conversation="pulsa tsel 10rb ke 081234567890"), "3EB0A0000000000000T1")),
    "extended_text_quoted": (ev.MessageEv, message(e2e.Message(extendedTextMessage=e2e.ExtendedTextMessage(
        text="yang ini kak", contextInfo=e2e.ContextInfo(stanzaID="3EB0FFFF00000000OUT1",
                                                         participant=f"{SHOP_PN}@s.whatsapp.net"))),
        "3EB0A0000000000000T2")),
    "image": (ev.MessageEv, message(_media("image", mimetype="image/jpeg", caption="bukti transfer"), "3EB0A0000000000000I1")),
    "audio": (ev.MessageEv, message(_media("audio", mimetype="audio/mpeg", seconds=12, PTT=False), "3EB0A0000000000000A1")),
    "voice": (ev.MessageEv, message(_media("audio", mimetype="audio/ogg; codecs=opus", seconds=4, PTT=True),
                                    "3EB0A0000000000000V1")),
    "video": (ev.MessageEv, message(_media("video", mimetype="video/mp4", caption="ini errornya"), "3EB0A0000000000000D1")),
    "document": (ev.MessageEv, message(_media("document", mimetype="application/pdf", fileName="tagihan.pdf",
                                              caption="tagihan bulan ini"), "3EB0A0000000000000F1")),
    "sticker": (ev.MessageEv, message(_media("sticker", mimetype="image/webp"), "3EB0A0000000000000S1")),
    "location": (ev.MessageEv, message(e2e.Message(locationMessage=e2e.LocationMessage(
        degreesLatitude=-6.2, degreesLongitude=106.816666, name="Toko Budi", address="Jl. Sudirman 1, Jakarta")),
        "3EB0A0000000000000L1")),
    "contacts": (ev.MessageEv, message(e2e.Message(contactMessage=e2e.ContactMessage(displayName="Adik", vcard=VCARD)),
                                       "3EB0A0000000000000C1")),
    "reaction": (ev.MessageEv, message(e2e.Message(reactionMessage=e2e.ReactionMessage(
        key=MessageKey(ID="3EB0FFFF00000000OUT1", fromMe=True, remoteJID=f"{LID}@lid"), text="👍")),
        "3EB0A0000000000000R1")),
    "unsupported": (ev.MessageEv, message(e2e.Message(pollCreationMessage=e2e.PollCreationMessage(name="Pilih")),
                                          "3EB0A0000000000000U1")),
    "lid_only": (ev.MessageEv, message(e2e.Message(conversation="halo kak"), "3EB0A0000000000000N1",
                                       source(alt=jid()), name="")),
    "phone_sender": (ev.MessageEv, message(e2e.Message(conversation="cek saldo"), "3EB0A0000000000000P1",
                                           source(sender=jid(PN, "s.whatsapp.net"), alt=jid(LID, "lid")))),
    "echo": (ev.MessageEv, message(e2e.Message(conversation="Siap kak, saya cek dulu ya"), "3EB0A0000000000000E1",
                                   source(sender=jid(SHOP_LID, "lid"), chat=jid(LID, "lid"), from_me=True,
                                          alt=jid(SHOP_PN, "s.whatsapp.net"),
                                          recipient_alt=jid(PN, "s.whatsapp.net")), name="Toko")),
    "receipt_delivered": (ev.ReceiptEv, receipt(["3EB0FFFF00000000OUT1", "3EB0FFFF00000000OUT2"], "DELIVERED")),
    "receipt_read": (ev.ReceiptEv, receipt(["3EB0FFFF00000000OUT1"], "READ")),
}

# never reach the functions
IGNORED: dict[str, tuple[type, bytes]] = {
    "group": (ev.MessageEv, message(e2e.Message(conversation="grup"), "3EB0B0000000000000G1",
                                    source(chat=jid("120363000000000000", "g.us"), group=True))),
    "status_post": (ev.MessageEv, message(e2e.Message(conversation="story"), "3EB0B0000000000000G2",
                                          source(chat=jid("status", "broadcast")))),
    "broadcast": (ev.MessageEv, message(e2e.Message(conversation="promo"), "3EB0B0000000000000G3",
                                        source(chat=jid("1764576000", "broadcast")))),
    "revoke": (ev.MessageEv, message(e2e.Message(protocolMessage=e2e.ProtocolMessage(
        key=MessageKey(ID="3EB0A0000000000000T1"), type=e2e.ProtocolMessage.REVOKE)), "3EB0B0000000000000G4")),
    "receipt_self": (ev.ReceiptEv, receipt(["3EB0FFFF00000000OUT1"], "READ_SELF")),
}


def fixture(case: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))
