"""Pure turn types: validation at the edge."""

from __future__ import annotations

import pytest

from shared.domain.turns import InboundMessage, OutboundMessage, normalize_wa_id


@pytest.mark.parametrize("raw, expected", [
    ("+62 812-3456-7890", "6281234567890"),
    ("081234567890", "6281234567890"),
    ("6281234567890", "6281234567890"),
    ("0062 81234567890", "6281234567890"),
])
def test_normalize_wa_id(raw: str, expected: str) -> None:
    assert normalize_wa_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "12", "+0 812", "62812345678901234567"])
def test_normalize_wa_id_refuses_non_numbers(raw: str) -> None:
    with pytest.raises(ValueError):
        normalize_wa_id(raw)


def test_inbound_needs_an_identity_and_a_known_kind() -> None:
    with pytest.raises(ValueError):
        InboundMessage(wamid="w1")
    with pytest.raises(ValueError):
        InboundMessage(wamid="w1", wa_id="6281234567890", kind="hologram")
    assert InboundMessage(wamid="w1", user_id="ID.123").wa_id is None


def test_outbound_text_needs_text() -> None:
    with pytest.raises(ValueError):
        OutboundMessage("")
    assert OutboundMessage("Halo kak").kind == "text"
