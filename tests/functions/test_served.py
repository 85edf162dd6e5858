"""Correctness under concurrency: signed messages from many customers through the real
functions-framework server (gunicorn, threads) → none lost, each customer's order kept.
The full R6 load (5,000 messages from 500 customers) is ``make bench`` (tests/bench/whatsapp.py)."""

from __future__ import annotations

import json
from typing import Any

from tests.functions.served import play, served_webhook
from tests.functions.whatsapp import customer_says, text, wamid

LINES = ["halo kak", "cek saldo", "pulsa xl 10rb", "batal", "makasih kak"]


def test_a_few_hundred_signed_messages_from_many_customers_none_lost_order_kept(shop, redis_url: str) -> None:
    world, phone = shop
    customers = [world.customer() for _ in range(60)]
    sent: dict[str, list[str]] = {}
    conversations: dict[str, list[bytes]] = {}
    for wa in customers:
        ids = [wamid() for _ in LINES]
        sent[wa] = ids
        conversations[wa] = [json.dumps(customer_says(wa, text(wa, line, mid=mid))).encode()
                             for line, mid in zip(LINES, ids)]
    with served_webhook(world.url, redis_url, world.sandbox.url, phone.graph.url, threads=8) as url:
        play(url, conversations, parallel=12)
    total = len(customers) * len(LINES)
    stored = world.db.execute("select count(*), count(handled_at) from messages where direction = 'in'").fetchone()
    assert stored == (total, total)
    for wa in customers:
        ids = [r[0] for r in world.db.execute(
            "select m.wamid from messages m join conversations c on c.id = m.conversation_id"
            " join customers u on u.id = c.customer_id where u.wa_id = %s and m.direction = 'in' order by m.id", [wa])]
        assert ids == sent[wa], wa
        replies = phone.graph.texts(wa)
        assert len(replies) >= len(LINES) and "Halo" in replies[0]
    world.invariants()
