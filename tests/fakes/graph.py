"""A Graph API stand-in speaking Meta's wire format, so pywa and our messenger run unchanged.

Serves what our functions call under ``/v{N}/``: ``POST /{phone_id}/messages`` (text, interactive,
image, template, audio; and read receipts / typing indicators, which carry ``status``),
``POST /{phone_id}/media`` (multipart upload → an all-digits media id), ``GET /{media_id}`` (url,
mime_type, sha256, file_size) and the download URL. Message ids are ``wamid.…``; errors are Meta's
JSON (``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``) with its HTTP
status. Every request is recorded; failures are scripted with :meth:`fail`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from tests.fakes.http import JsonStandIn

ERROR_STATUS = {190: 401, 0: 401, 10: 403, 4: 429, 80007: 429, 130429: 429, 131056: 429, 131000: 500,
                131016: 503}
ERROR_TYPES = {190: "OAuthException", 0: "OAuthException", 10: "OAuthException"}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    json: dict[str, Any] = field(default_factory=dict)
    wamid: str | None = None  # the id answered for a sent message


class GraphStandIn(JsonStandIn):
    """``token`` is the bearer every request must carry; ``phone_id`` the number's id."""

    def __init__(self, *, token: str = "test-token", phone_id: str = "1111") -> None:
        super().__init__()
        self.token = token
        self.phone_id = phone_id
        self.requests: list[Request] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self._failures: list[tuple[Any, int, int | None, str]] = []  # (match, code, http status, message)
        self._lock = threading.Lock()
        self._ids = itertools.count(9_000_000_001)

    # -- scripting ----------------------------------------------------------------------------------

    def fail(self, code: int, *, times: int = 1, to: str | None = None, status: int | None = None,
             message: str = "scripted failure") -> None:
        """The next ``times`` sends (to ``to`` only, when given) answer Meta's error ``code``."""
        with self._lock:
            for _ in range(times):
                self._failures.append((to, code, status, message))

    # -- reading what was sent ------------------------------------------------------------------------

    def sent(self, to: str | None = None) -> list[Request]:
        """Messages accepted (not read receipts / typing), oldest first."""
        with self._lock:
            return [r for r in self.requests if r.wamid and (to is None or r.json.get("to") == to
                                                             or r.json.get("recipient") == to)]

    def typing(self) -> list[str]:
        with self._lock:
            return [r.json["message_id"] for r in self.requests
                    if r.json.get("status") == "read" and "typing_indicator" in r.json]

    def texts(self, to: str) -> list[str]:
        """What the customer would read: text bodies, interactive bodies, captions, template params."""
        out = []
        for r in self.sent(to):
            body = r.json
            kind = body.get("type")
            if kind == "text":
                out.append(body["text"]["body"])
            elif kind == "interactive":
                out.append(body["interactive"]["body"]["text"])
            elif kind == "image":
                out.append(body["image"].get("caption") or "")
            elif kind == "template":
                params = [p["text"] for c in body["template"].get("components", []) for p in c.get("parameters", [])]
                out.append(" ".join(params))
        return out

    # -- the wire ----------------------------------------------------------------------------------------

    def _error(self, code: int, message: str, status: int | None = None) -> tuple[int, Any]:
        return status or ERROR_STATUS.get(code, 400), {"error": {
            "message": f"({code}) {message}", "type": ERROR_TYPES.get(code, "OAuthException" if code < 100 else "GraphMethodException"),
            "code": code, "error_subcode": 2494010 if code == 131026 else None,
            "fbtrace_id": "A" + secrets.token_urlsafe(16)}}

    def _authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.token}"

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        if not self._authorized(headers):
            return self._error(190, "Error validating access token: Session has expired.")
        match = re.fullmatch(r"/v[0-9.]+/([0-9]+)/(messages|media)", path)
        if not match or match.group(1) != self.phone_id:
            return self._error(100, f"Unsupported post request. Object with ID '{path}' does not exist")
        if match.group(2) == "media":
            return self._upload(path, headers, raw)
        try:
            body = json.loads(raw)
        except ValueError:
            return self._error(100, "Invalid JSON")
        request = Request("POST", path, headers, body)
        with self._lock:
            self.requests.append(request)
            if "status" in body:  # read receipt, maybe with the typing indicator
                return 200, {"success": True}
            to = body.get("to") or body.get("recipient")
            for i, (who, code, status, message) in enumerate(self._failures):
                if who is None or who == to:
                    del self._failures[i]
                    return self._error(code, message, status)
            if body.get("messaging_product") != "whatsapp" or not to or not body.get("type"):
                return self._error(100, "Invalid parameter")
            request.wamid = "wamid.HBgN" + base64.b64encode(secrets.token_bytes(18)).decode().rstrip("=")
        contact = {"input": to, "user_id": to} if body.get("recipient") else {"input": to, "wa_id": to}
        return 200, {"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": request.wamid}]}

    def _upload(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + headers.get("content-type", "").encode() + b"\r\n\r\n" + raw)
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        if "file" not in parts or parts.get("messaging_product") is None:
            return self._error(100, "Param file must be a file with one of the following types: ...")
        data = parts["file"].get_payload(decode=True) or b""
        media_id = str(next(self._ids))
        with self._lock:
            self.media[media_id] = (data, parts["file"].get_content_type())
            self.requests.append(Request("POST", path, headers, {"media_id": media_id,
                                                                 "type": parts["file"].get_content_type()}))
        return 200, {"id": media_id}

    def handle_get(self, path: str, headers: dict[str, str]) -> tuple[int, Any]:
        if not self._authorized(headers):
            return self._error(190, "Error validating access token: Session has expired.")
        download = re.fullmatch(r"/download/([0-9]+)", path)
        found = re.fullmatch(r"/v[0-9.]+/([0-9]+)", path.split("?")[0])
        media_id = (download or found).group(1) if (download or found) else None
        with self._lock:
            media = self.media.get(media_id or "")
        if media is None:
            return self._error(100, f"Unsupported get request. Object with ID '{media_id}' does not exist")
        if download:
            return 200, media
        data, mime = media
        return 200, {"messaging_product": "whatsapp", "url": f"{self.url}/download/{media_id}", "mime_type": mime,
                     "sha256": hashlib.sha256(data).hexdigest(), "file_size": len(data), "id": media_id}
