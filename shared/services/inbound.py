"""One webhook body's worth of WhatsApp updates, handled before the function answers.

- seller echoes (``smb_message_echoes``) first: stored as the shop's own outbound messages, and the
  bot stays quiet for that customer for SELLER_TAKEOVER_MINUTES;
- customer messages, in order, each through the turn pipeline (text, captions, tapped buttons and
  rows, shared contacts run a turn; media without a caption, locations and unsupported types get a
  short polite reply; reactions and stickers are stored in silence);
- delivery statuses, in one store call: outbox rows learn delivered / read / failed with the code,
  a retryable failure is sent again, 131047 marks the customer outside the 24 h window;
- ``value.errors``: logged with their code.

:func:`handle` raises :class:`shared.errors.StoreUnavailable` only when something could not be
recorded, so the caller answers 5xx and WhatsApp retries the body (every step is idempotent: a
message by its wamid, an echo by its wamid, a status by its row and progress).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.domain import whatsapp as wa
from shared.domain.turns import DeliveryStatus, SellerEcho
from shared.errors import BotError, StoreUnavailable
from shared.ports import Store

if TYPE_CHECKING:
    from shared.adapters.whatsapp.cloud import Echo, Status, Update

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    messages: int = 0
    turns: int = 0
    refused: int = 0  # messages the store refused for good (logged; a retry would not help)
    echoes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    skipped: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"messages": self.messages, "turns": self.turns, "refused": self.refused, "echoes": self.echoes,
                "statuses": self.statuses, "errors": self.errors, "skipped": self.skipped}


def delivery_status(s: Status, *, template: bool) -> DeliveryStatus:
    """A status as the outbox records it: a failure is resent when its code is retryable, or when
    the window closed (131047) and a template can carry the message."""
    error = s.errors[0] if s.errors else None
    code = error.code if error else None
    closes = code == wa.REENGAGEMENT
    retry = s.status == "failed" and ((closes and template) or (not closes and wa.retryable(code)))
    text = " — ".join(x for x in (error.title, error.details or error.message) if x) if error else None
    return DeliveryStatus(wamid=s.wamid, status=s.status, outbox_id=wa.outbox_of(s.tracker),  # type: ignore[arg-type]
                          code=code, error=text, retry=retry, closes_window=closes, at=s.timestamp)


def seller_echo(e: Echo) -> SellerEcho:
    return SellerEcho(wamid=e.wamid, wa_id=e.to.wa_id, user_id=e.to.user_id, kind=e.kind, text=e.text,
                      sent_at=e.timestamp)


def handle(update: Update, *, pipeline: Any, store: Store, quiet_seconds: int, template: bool) -> Outcome:
    """Handle every item of ``update`` (see the module docstring)."""
    out = Outcome(skipped=update.skipped)
    for error in update.errors:
        log.warning("WhatsApp reported error %s: %s (%s)", error.code, error.title, error.details or error.message)
        out.errors += 1
    for echo in update.echoes:
        if store.record_echo(seller_echo(echo), quiet_seconds=quiet_seconds) == "stored":
            log.info("seller wrote to %s (%s): the bot stays quiet for %d s", echo.to.wa_id or echo.to.user_id,
                     echo.wamid, quiet_seconds)
        out.echoes += 1
    for message in update.messages:
        out.messages += 1
        try:
            replies = pipeline.handle(message.to_inbound())
        except StoreUnavailable:
            raise
        except BotError as exc:  # refused (a malformed field): a retry would be refused again
            log.error("message %s refused by the store: %s", message.wamid, exc)
            out.refused += 1
            continue
        out.turns += len(replies)
    if update.statuses:
        out.statuses = store.record_statuses([delivery_status(s, template=template) for s in update.statuses])
        for s in update.statuses:
            if s.status == "failed":
                log.warning("message %s failed at WhatsApp: %s", s.wamid,
                            ", ".join(f"{e.code} {e.title or ''}".strip() for e in s.errors) or "no code")
    return out
