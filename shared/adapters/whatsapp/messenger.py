"""The Messenger on pywa: outbox rows → Graph API calls, to Meta's Cloud API or to the bridge.

One ``CloudMessenger`` per instance, over an injected ``httpx.Client`` (with a timeout). pywa is
imported on the first send (a status-only webhook never pays its ~235 ms). The host comes from
WHATSAPP_API_BASE_URL and the version from WHATSAPP_API_VERSION: pywa always sets Meta's base URL,
so it is replaced on the session after pywa is built (design §7).

What a row becomes:
- text: split under 4,096 characters on paragraph / line boundaries;
- ``payload.buttons`` (a quote): reply buttons (≤ 3, titles ≤ 20) under a body of ≤ 1,024
  characters (a longer text goes first as text, then a short body with the buttons);
- ``payload.list`` (product choices): a list message (≤ 10 rows; titles ≤ 24, descriptions ≤ 72)
  with the list's own short body: the numbers are never written into it (the bridge numbers rows
  for its customers; the row text keeps the numbered rendering for history and the terminal);
- ``payload.qr_string`` (a QRIS): the PNG uploaded to ``/media``, then sent by media id with the
  text (amount and payment code) as caption;
- a row for a customer outside the 24 h window: the template WHATSAPP_TEMPLATE_NAME with the text
  flattened into one parameter, or :class:`OutsideWindow` (held) when none is configured.

Each message carries ``biz_opaque_callback_data = "outbox:<id>"``, so its statuses find the row
even before this instance's send result is recorded. pywa's errors are translated here into
:mod:`shared.errors`; an expired or revoked token is logged at ERROR as ``whatsapp_auth_failed``.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from shared.domain import whatsapp as wa
from shared.domain.replies.common import FALLBACK
from shared.domain.turns import OutboxItem
from shared.errors import (
    MessageRejected,
    MessengerAuthFailed,
    MessengerError,
    MessengerUnavailable,
    OutsideWindow,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
T = TypeVar("T")


def translate(exc: Exception) -> MessengerError:
    """A pywa or httpx error as our own (design §6: nothing SDK-shaped leaves the adapter)."""
    code = getattr(exc, "code", None)
    code = code if isinstance(code, int) else None
    status = getattr(exc, "status_code", None)
    message = str(getattr(exc, "message", None) or exc)[:300]
    text = f"WhatsApp error {code}: {message}" if code is not None else f"WhatsApp unreachable: {message}"
    if code in wa.AUTH:
        log.error("whatsapp_auth_failed: every send is refused until the token is fixed (code %s): %s", code, message)
        return MessengerAuthFailed(text, code=code)
    if code == wa.REENGAGEMENT:
        return OutsideWindow(text, code=code)
    if code is None or code in wa.RETRYABLE or (isinstance(status, int) and status >= 500):
        return MessengerUnavailable(text, code=code)
    return MessageRejected(text, code=code)


class CloudMessenger:
    """Implements :class:`shared.ports.Messenger` over the Graph API (pywa)."""

    def __init__(self, http: httpx.Client, *, phone_id: str, token: str, base_url: str = "https://graph.facebook.com",
                 api_version: str = "26.0", template_name: str | None = None, template_language: str = "id") -> None:
        self.http = http
        self.phone_id = phone_id
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.template_name = template_name
        self.template_language = template_language
        self._client: Any = None
        self._lock = threading.Lock()

    # -- pywa, built on first use -----------------------------------------------------------------

    def _wa(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from pywa import WhatsApp

                    client = WhatsApp(phone_id=self.phone_id, token=self.token, session=self.http,
                                      api_version=self.api_version, validate_updates=False, filter_updates=False)
                    self.http.base_url = f"{self.base_url}/v{self.api_version}"
                    self._client = client
        return self._client

    def _call(self, work: Callable[[Any], T]) -> T:
        try:
            return work(self._wa())
        except MessengerError:
            raise
        except Exception as exc:  # pywa's WhatsAppError tree, httpx's errors, a non-JSON answer
            raise translate(exc) from exc

    # -- the port -----------------------------------------------------------------------------------

    def send(self, item: OutboxItem) -> str:
        to = item.wa_id or item.user_id
        if not to:
            raise MessageRejected(f"outbox {item.id} has no recipient")
        tracker = wa.tracker_of(item.id)
        if not item.window_open:
            return self._template(item, to, tracker)
        try:
            return self._free_form(item, to, tracker)
        except OutsideWindow:
            if not self.template_name:
                raise
            return self._template(item, to, tracker)  # the window closed sooner than we knew

    def _free_form(self, item: OutboxItem, to: str, tracker: str) -> str:
        payload = item.payload or {}
        text = (item.text or "").strip()
        if item.kind == "image" and payload.get("qr_string"):
            return self._qris(to, str(payload["qr_string"]), text, tracker)
        if payload.get("list") and (payload["list"].get("rows") or []):
            return self._list(to, payload["list"], text, tracker)
        if payload.get("buttons"):
            return self._buttons(to, payload["buttons"], text, tracker)
        if not text:
            raise MessageRejected(f"outbox {item.id} has nothing to send")
        return self._text(to, text, tracker)

    def typing(self, wamid: str) -> None:
        """Mark the customer's message read and show "typing…" (one Graph call); never raises."""
        try:
            self._call(lambda c: c.indicate_typing(message_id=wamid))
        except MessengerError as exc:
            log.warning("typing indicator for %s not shown: %s", wamid, exc)

    # -- message kinds --------------------------------------------------------------------------------

    def _text(self, to: str, text: str, tracker: str) -> str:
        wamid = ""
        for piece in wa.split_text(text):
            wamid = self._call(lambda c, p=piece: c.send_message(to=to, text=p, tracker=tracker)).id
        return wamid

    def _buttons(self, to: str, buttons: list[dict[str, Any]], text: str, tracker: str) -> str:
        from pywa.types import Button

        body = text or FALLBACK["go_on"]
        if len(body) > wa.BODY_LIMIT:
            self._text(to, body, tracker)
            body = FALLBACK["choose"]
        chosen = [Button(title=wa.clip(str(b["title"]), wa.BUTTON_TITLE), callback_data=str(b["id"]))
                  for b in buttons[: wa.BUTTONS_MAX]]
        return self._call(lambda c: c.send_message(to=to, text=body, buttons=chosen, tracker=tracker)).id

    def _list(self, to: str, spec: dict[str, Any], text: str, tracker: str) -> str:
        from pywa.types import Section, SectionList, SectionRow

        rows = [SectionRow(title=wa.clip(str(r["title"]), wa.ROW_TITLE), callback_data=str(r["id"]),
                           description=wa.clip(str(r["description"]), wa.ROW_DESCRIPTION) if r.get("description") else None)
                for r in spec["rows"][: wa.ROWS_MAX]]
        body = wa.clip(str(spec.get("body") or text or FALLBACK["choose"]), wa.BODY_LIMIT)
        menu = SectionList(button_title=wa.clip(str(spec.get("button") or FALLBACK["list_button"]), wa.LIST_BUTTON),
                           sections=[Section(title=wa.clip(str(spec.get("title") or FALLBACK["list_title"]), wa.ROW_TITLE), rows=rows)])
        return self._call(lambda c: c.send_message(to=to, text=body, buttons=menu, tracker=tracker)).id

    def _qris(self, to: str, qr_string: str, caption: str, tracker: str) -> str:
        from shared.adapters.qr import png

        image = png(qr_string)
        media = self._call(lambda c: c.upload_media(media=image, mime_type="image/png", filename="qris.png"))
        return self._call(lambda c: c.send_image(to=to, image=media.id, caption=wa.clip(caption, wa.BODY_LIMIT) or None,
                                                 tracker=tracker)).id

    def _template(self, item: OutboxItem, to: str, tracker: str) -> str:
        """Outside the 24 h window only an approved template goes out. Its one body parameter
        carries the message flattened (template parameters cannot hold newlines)."""
        if not self.template_name:
            raise OutsideWindow(f"outbox {item.id}: the customer's last message is over 24 h old and "
                                "WHATSAPP_TEMPLATE_NAME is not set", code=wa.REENGAGEMENT)
        from pywa.types.templates import TemplateLanguage

        text = wa.template_param(item.text or FALLBACK["template"], wa.TEMPLATE_PARAM_LIMIT)
        params = [{"type": "body", "parameters": [{"type": "text", "text": text}]}]
        name, language = self.template_name, TemplateLanguage(self.template_language)
        return self._call(lambda c: c.send_template(to=to, name=name, language=language, params=params,
                                                    tracker=tracker)).id

    def close(self) -> None:
        self.http.close()
