"""Small helpers shared by tests."""

from __future__ import annotations

import secrets
import uuid

from shared.domain.turns import InboundMessage


def new_wa_id() -> str:
    # not the random module: hypothesis seeds it, which would repeat numbers across examples
    return "62812" + "".join(secrets.choice("0123456789") for _ in range(8))


def inbound(wa_id: str | None = None, text: str = "halo kak", **kw) -> InboundMessage:
    """A text message from ``wa_id`` (a new customer when not given) with a fresh wamid."""
    return InboundMessage(
        wamid=kw.pop("wamid", f"wamid.{uuid.uuid4().hex}"),
        wa_id=wa_id if wa_id is not None or "user_id" in kw else new_wa_id(),
        text=text,
        **kw,
    )
