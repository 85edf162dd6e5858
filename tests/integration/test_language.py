"""A customer who writes English is answered in English, in the turn and outside it (payment
notices and receipts sent by callbacks), and Indonesian comes back when they switch back."""

from __future__ import annotations

import pytest

from tests.world import World

pytestmark = pytest.mark.integration


def test_an_english_customer_gets_english_from_quote_to_receipt(any_world: World) -> None:
    w = any_world
    wa = w.customer()
    quoted = w.say(wa, "hi, I want to buy 20k credit for 087812345678")
    assert quoted.facts["action"] == "quote" and "Here are the details" in quoted.messages[0].text
    ref = quoted.facts["order"]["ref"]
    checkout = w.say(wa, "yes")
    assert checkout.facts["action"] == "checkout" and "Total to pay" in checkout.messages[0].text
    assert w.db.execute("select lang from customers where wa_id = %s", [wa]).fetchone()[0] == "en"

    w.sandbox.pay(w.payment(checkout.facts["payment"]["ref"])["atlantic_id"])
    w.callbacks()  # the deposit is paid: the order is submitted
    w.callbacks()  # delivered: the receipt
    order = w.order(ref)
    assert order["status"] == "success"
    notices = w.texts(wa)[-2:]
    assert "received" in notices[0] and "Done" in notices[1] and order["sn"] in notices[1]
    assert not any("Berhasil" in t or "diterima" in t for t in notices)


def test_switching_back_to_indonesian(world: World) -> None:
    wa = world.customer()
    assert world.say(wa, "check my balance please").messages[0].text.startswith("Your saldo")
    assert world.say(wa, "2").facts["action"] == "clarify"  # a neutral message keeps English
    assert "There's no list" in world.texts(wa)[-1]
    back = world.say(wa, "kak mau beli pulsa dong")
    assert back.messages[0].text.startswith(("Ini", "Mau", "Oke", "Nomor", "Pulsa")), back.messages[0].text
    assert world.db.execute("select lang from customers where wa_id = %s", [wa]).fetchone()[0] == "id"
