"""Cloud API webhook bodies as Meta sends them, signed, and a shop that talks WhatsApp end to end:
the real ``whatsapp_webhook`` through functions-framework, the real pywa messenger against the
Graph API stand-in (``tests/fakes/graph.py``), the real ``atlantic_webhook`` and the sandbox."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from typing import Any

from functions_framework import create_app

from shared.config import PROJECT_ROOT
from tests.fakes.graph import GraphStandIn

SECRET = "app-secret-for-tests"
VERIFY = "verify-me"
TOKEN = "graph-token"
PHONE_ID = "106540352242922"
SHOP_NUMBER = "6281100000000"
WHATSAPP = {"whatsapp_token": TOKEN, "whatsapp_phone_id": PHONE_ID, "whatsapp_app_secret": SECRET,
            "whatsapp_verify_token": VERIFY}
_seq = itertools.count(1)


def wamid() -> str:
    return f"wamid.HBgN{uuid.uuid4().hex.upper()}"


def sign(raw: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def contact(wa_id: str | None, user_id: str | None = None, name: str | None = "Budi") -> dict[str, Any]:
    c: dict[str, Any] = {"profile": {"name": name}} if name else {}
    if wa_id:
        c["wa_id"] = wa_id
    if user_id:
        c["user_id"] = user_id
    return c


def message(wa_id: str | None, kind: str, content: Any, *, mid: str | None = None, user_id: str | None = None,
            context: str | None = None, **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"id": mid or wamid(), "timestamp": str(int(time.time())), "type": kind}
    if wa_id:
        m["from"] = wa_id
    if user_id:
        m["from_user_id"] = user_id
    if content is not None:
        m[kind] = content
    if context:
        m["context"] = {"from": SHOP_NUMBER, "id": context}
    m.update(extra)
    return m


def text(wa_id: str | None, body: str, **kw: Any) -> dict[str, Any]:
    return message(wa_id, "text", {"body": body}, **kw)


def button_reply(wa_id: str, id: str, title: str, **kw: Any) -> dict[str, Any]:
    return message(wa_id, "interactive", {"type": "button_reply", "button_reply": {"id": id, "title": title}}, **kw)


def list_reply(wa_id: str, id: str, title: str, description: str = "", **kw: Any) -> dict[str, Any]:
    return message(wa_id, "interactive", {"type": "list_reply",
                                          "list_reply": {"id": id, "title": title, "description": description}}, **kw)


def value(messages: list[dict] = (), contacts: list[dict] = (), **extra: Any) -> dict[str, Any]:  # type: ignore[assignment]
    v: dict[str, Any] = {"messaging_product": "whatsapp",
                         "metadata": {"display_phone_number": SHOP_NUMBER, "phone_number_id": PHONE_ID}}
    if contacts:
        v["contacts"] = list(contacts)
    if messages:
        v["messages"] = list(messages)
    v.update(extra)
    return v


def body(*values: dict[str, Any], field: str = "messages") -> dict[str, Any]:
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA_ID", "changes": [{"field": field, "value": v} for v in values]}]}


def customer_says(wa_id: str, *msgs: dict[str, Any], user_id: str | None = None, name: str = "Budi") -> dict[str, Any]:
    return body(value(list(msgs), [contact(wa_id, user_id, name)]))


def status(wamid_: str, state: str, recipient: str, *, tracker: str | None = None, code: int | None = None,
           title: str = "") -> dict[str, Any]:
    s: dict[str, Any] = {"id": wamid_, "status": state, "timestamp": str(int(time.time())), "recipient_id": recipient}
    if tracker:
        s["biz_opaque_callback_data"] = tracker
    if code is not None:
        s["errors"] = [{"code": code, "title": title or "error", "message": title or "error",
                        "error_data": {"details": title or "error"}}]
    return s


def echo(to: str, body_text: str, *, mid: str | None = None) -> dict[str, Any]:
    return body(value(message_echoes=[{"from": SHOP_NUMBER, "to": to, "id": mid or wamid(),
                                       "timestamp": str(int(time.time())), "type": "text",
                                       "text": {"body": body_text}}]), field="smb_message_echoes")


class Phone:
    """The Meta side of a shop: posts signed webhooks to ``whatsapp_webhook``; reads what pywa sent."""

    def __init__(self, world: Any, graph: GraphStandIn) -> None:
        self.world = world
        self.graph = graph
        self.client = create_app("whatsapp_webhook",
                                 str(PROJECT_ROOT / "functions" / "whatsapp_webhook" / "main.py")).test_client()

    def post(self, update: dict[str, Any] | bytes, *, signature: str | None | bool = True) -> Any:
        raw = update if isinstance(update, bytes) else json.dumps(update).encode()
        headers = {}
        if signature is True:
            headers["X-Hub-Signature-256"] = sign(raw)
        elif signature:
            headers["X-Hub-Signature-256"] = signature
        return self.client.post("/", data=raw, headers=headers, content_type="application/json")

    def say(self, wa_id: str, body_text: str, **kw: Any) -> Any:
        response = self.post(customer_says(wa_id, text(wa_id, body_text, **kw)))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    def last(self, wa_id: str) -> Any:
        sent = self.graph.sent(wa_id)
        assert sent, f"nothing was sent to {wa_id}"
        return sent[-1]
