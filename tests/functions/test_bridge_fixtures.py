"""The other side of tests/bridge/test_events.py: every Cloud API body the bridge produces
(tests/data/cloud_api) is read by ``whatsapp_webhook`` as Meta's own would be."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "cloud_api"
PN, USER_ID = "6281234567890", "ID.123456789012345"

# case → (stored kind, stored text) of the customer's message
MESSAGES = {
    "text": ("text", "pulsa tsel 10rb ke 081234567890"),
    "extended_text_quoted": ("text", "yang ini kak"),
    "image": ("image", "bukti transfer"),
    "audio": ("audio", None),
    "voice": ("audio", None),
    "video": ("video", "ini errornya"),
    "document": ("document", "tagihan bulan ini"),
    "sticker": ("sticker", None),
    "location": ("location", None),
    "contacts": ("contacts", "6285712345678"),  # the card's WhatsApp number
    "reaction": ("reaction", None),
    "unsupported": ("unsupported", None),
    "phone_sender": ("text", "cek saldo"),
}


def load(case: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{case}.json").read_text(encoding="utf-8"))


def test_every_fixture_is_covered() -> None:
    cases = {p.stem for p in FIXTURES.glob("*.json")}
    assert cases == set(MESSAGES) | {"lid_only", "echo", "receipt_delivered", "receipt_read"}


@pytest.mark.parametrize("case", sorted(MESSAGES))
def test_a_bridge_message_is_stored_as_its_kind_for_the_customer(case: str, shop) -> None:  # type: ignore[no-untyped-def]
    world, phone = shop
    response = phone.post(load(case))
    assert response.status_code == 200, response.get_data(as_text=True)
    kind, text = MESSAGES[case]
    row = world.db.execute("select m.kind, m.body, m.payload, c.wa_id, c.wa_user_id from messages m "
                           "join conversations v on v.id = m.conversation_id join customers c on c.id = v.customer_id "
                           "where m.direction = 'in'").fetchone()
    assert row[:2] == (kind, text) and row[3:] == (PN, USER_ID)
    if case == "extended_text_quoted":
        assert row[2]["context"] == "3EB0FFFF00000000OUT1"
    if case in ("image", "voice", "document"):
        assert row[2]["media"]["id"] == "1796130000000001" and row[2]["media"]["sha256"]
    if case == "voice":
        assert row[2]["media"]["voice"] is True


def test_a_sender_known_only_by_lid_gets_through_and_is_answered_by_user_id(shop) -> None:  # type: ignore[no-untyped-def]
    world, phone = shop
    assert phone.post(load("lid_only")).status_code == 200
    assert world.db.execute("select wa_id, wa_user_id from customers").fetchall() == [(None, USER_ID)]
    assert phone.graph.sent(USER_ID) and phone.graph.sent(USER_ID)[-1].json["recipient"] == USER_ID


def test_the_sellers_echo_quiets_the_bot_for_that_customer(shop) -> None:  # type: ignore[no-untyped-def]
    world, phone = shop
    assert phone.post(load("text")).status_code == 200
    assert phone.post(load("echo")).status_code == 200
    stored = world.db.execute("select direction, body, payload from messages where wamid = '3EB0A0000000000000E1'").fetchone()
    assert stored[0] == "out" and stored[1] == "Siap kak, saya cek dulu ya" and stored[2]["by"] == "seller"
    assert world.db.execute("select quiet_until > now() from conversations").fetchone()[0] is True


def test_receipts_become_delivery_statuses_of_our_outbox_rows(shop) -> None:  # type: ignore[no-untyped-def]
    world, phone = shop
    phone.post(load("text"))
    sent = phone.graph.sent(PN)[-1]
    row_id = int(sent.json["biz_opaque_callback_data"].split(":")[1])
    for case, state in (("receipt_delivered", "delivered"), ("receipt_read", "read")):
        body = json.loads(json.dumps(load(case)).replace("3EB0FFFF00000000OUT1", sent.wamid)
                          .replace("outbox:42", f"outbox:{row_id}"))
        assert phone.post(body).status_code == 200
        assert world.db.execute("select delivery from outbox where id = %s", [row_id]).fetchone()[0] == state
