"""begin_turn / end_turn / ack_outbox against real Postgres, over both transports."""

from __future__ import annotations

import threading
import uuid

import pytest

from shared.domain.turns import OutboundMessage, OutboxAck
from shared.errors import InvalidArgument, LeaseLost, NotFound
from tests.helpers import inbound, new_wa_id


def count(db, sql: str, *args) -> int:  # type: ignore[no-untyped-def]
    return db.execute(sql, args).fetchone()[0]


def test_first_message_creates_customer_takes_lease_and_returns_it(store, db) -> None:
    msg = inbound(name="Budi", text="mau pulsa")
    start = store.begin_turn(msg)

    assert start.status == "leased"
    assert start.customer is not None and start.customer.wa_id == msg.wa_id
    assert start.customer.name == "Budi" and start.customer.saldo == 0
    assert start.lease is not None and start.conversation_id is not None
    assert [m.wamid for m in start.messages] == [msg.wamid]
    assert start.messages[0].text == "mau pulsa"
    assert start.history == ()
    assert start.state == {}


def test_wamid_delivered_twice_is_stored_once(store, db) -> None:
    msg = inbound()
    assert store.begin_turn(msg).status == "leased"
    again = store.begin_turn(msg)

    assert again.status == "duplicate"
    assert count(db, "select count(*) from messages where wamid = %s", msg.wamid) == 1


def test_concurrent_duplicate_deliveries_store_one_message(store, db) -> None:
    msg = inbound()
    barrier = threading.Barrier(4)
    results: list[str] = []

    def deliver() -> None:
        barrier.wait()
        results.append(store.begin_turn(msg).status)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == ["duplicate"] * 3 + ["leased"]
    assert count(db, "select count(*) from messages where wamid = %s", msg.wamid) == 1
    assert count(db, "select count(*) from customers where wa_id = %s", msg.wa_id) == 1


def test_concurrent_turns_give_one_lease_holder_and_one_queued_message(store, db) -> None:
    wa_id = new_wa_id()
    first, second = inbound(wa_id, "kak"), inbound(wa_id, "pulsa 10rb")
    barrier = threading.Barrier(2)
    starts = {}

    def begin(msg) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        starts[msg.wamid] = store.begin_turn(msg)

    threads = [threading.Thread(target=begin, args=(m,)) for m in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(s.status for s in starts.values())
    assert statuses == ["leased", "queued"]
    holder = next(s for s in starts.values() if s.status == "leased")
    queued_wamid = next(w for w, s in starts.items() if s.status == "queued")
    assert count(db, "select count(*) from customers where wa_id = %s", wa_id) == 1

    end = store.end_turn(holder.conversation_id, holder.lease.token, {"step": 1},
                         [OutboundMessage("Halo kak, mau pulsa berapa?")])

    assert [m.wamid for m in end.queued] == [queued_wamid]
    assert end.lease is not None and end.lease.token == holder.lease.token  # still held
    assert len(end.outbox) == 1 and end.outbox[0].wa_id == wa_id

    final = store.end_turn(holder.conversation_id, holder.lease.token, {"step": 2},
                           [OutboundMessage("Siap kak")])
    assert final.queued == () and final.lease is None
    assert final.version == end.version + 1
    assert count(db, "select count(*) from messages where direction = 'in' and handled_at is null "
                     "and conversation_id = %s", holder.conversation_id) == 0
    assert count(db, "select count(*) from conversations where id = %s and lease_token is null",
                 holder.conversation_id) == 1


def test_end_turn_saves_state_and_the_next_turn_sees_it_with_history(store) -> None:
    wa_id = new_wa_id()
    start = store.begin_turn(inbound(wa_id, "cek saldo"))
    store.end_turn(start.conversation_id, start.lease.token, {"last_list": [1, 2, 3]},
                   [OutboundMessage("Saldo kakak *Rp0*")])

    nxt = store.begin_turn(inbound(wa_id, "2"))

    assert nxt.status == "leased"
    assert nxt.state == {"last_list": [1, 2, 3]}
    assert nxt.version == 1
    assert [(h.direction, h.text) for h in nxt.history] == [("in", "cek saldo"), ("out", "Saldo kakak *Rp0*")]
    assert [m.text for m in nxt.messages] == ["2"]


def test_expired_lease_is_taken_over_and_the_crashed_turn_is_refused(store, db) -> None:
    wa_id = new_wa_id()
    crashed = store.begin_turn(inbound(wa_id, "beli pulsa"))
    db.execute("update conversations set lease_until = now() - interval '1 second' where id = %s",
               [crashed.conversation_id])

    takeover = store.begin_turn(inbound(wa_id, "halo?"))

    assert takeover.status == "leased"
    assert takeover.lease.token != crashed.lease.token
    # the crashed turn's unanswered message is answered by the new turn: nothing is lost
    assert [m.text for m in takeover.messages] == ["beli pulsa", "halo?"]
    with pytest.raises(LeaseLost):
        store.end_turn(crashed.conversation_id, crashed.lease.token, {}, [OutboundMessage("telat")])
    store.end_turn(takeover.conversation_id, takeover.lease.token, {}, [OutboundMessage("Halo kak")])
    assert count(db, "select count(*) from messages where conversation_id = %s and body = 'telat'",
                 crashed.conversation_id) == 0


def test_a_message_that_keeps_crashing_turns_is_dropped_after_three_attempts(store, db) -> None:
    wa_id = new_wa_id()
    poison = inbound(wa_id, "pesan beracun")
    start = store.begin_turn(poison)
    for text in ("a", "b", "c"):
        db.execute("update conversations set lease_until = now() - interval '1 second' where id = %s",
                   [start.conversation_id])
        start = store.begin_turn(inbound(wa_id, text))

    assert poison.wamid not in [m.wamid for m in start.messages]
    row = db.execute("select handled_at is not null, payload->>'dropped', attempts from messages where wamid = %s",
                     [poison.wamid]).fetchone()
    assert row == (True, "true", 3)


def test_customer_known_only_by_user_id_and_later_by_phone(store, db) -> None:
    user_id = f"ID.{new_wa_id()}"
    first = store.begin_turn(inbound(None, "halo", user_id=user_id))
    assert first.customer.wa_id is None and first.customer.user_id == user_id
    store.end_turn(first.conversation_id, first.lease.token, {}, [OutboundMessage("Halo kak")])

    wa_id = new_wa_id()
    later = store.begin_turn(inbound(wa_id, "ini nomorku", user_id=user_id))

    assert later.customer.id == first.customer.id
    assert later.customer.wa_id == wa_id and later.customer.user_id == user_id


def test_blocked_customer_gets_no_turn(store, db) -> None:
    wa_id = new_wa_id()
    start = store.begin_turn(inbound(wa_id))
    store.end_turn(start.conversation_id, start.lease.token, {})
    db.execute("update customers set blocked = true where wa_id = %s", [wa_id])

    blocked = store.begin_turn(inbound(wa_id, "spam"))

    assert blocked.status == "blocked" and blocked.lease is None
    assert count(db, "select count(*) from messages where body = 'spam' and handled_at is not null "
                     "and conversation_id = %s", start.conversation_id) == 1


def test_outbox_acks_ride_on_the_next_call(store, db) -> None:
    wa_id = new_wa_id()
    start = store.begin_turn(inbound(wa_id))
    end = store.end_turn(start.conversation_id, start.lease.token, {},
                         [OutboundMessage("satu"), OutboundMessage("dua")])
    ok, failed = end.outbox

    sent_wamid = f"wamid.out.{uuid.uuid4().hex}"
    store.begin_turn(inbound(new_wa_id()), acks=[OutboxAck(ok.id, wamid=sent_wamid),
                                                  OutboxAck(failed.id, error="131056 pair rate limit")])

    rows = {r[0]: r[1:] for r in db.execute(
        "select id, status, wamid, attempts, last_error from outbox where id = any(%s)", [[ok.id, failed.id]])}
    assert rows[ok.id] == ("sent", sent_wamid, 1, None)
    assert rows[failed.id] == ("pending", None, 1, "131056 pair rate limit")
    assert count(db, "select count(*) from messages where id = %s and wamid = %s", ok.message_id, sent_wamid) == 1
    # a replayed ack changes nothing
    assert store.ack_outbox([OutboxAck(ok.id, wamid=sent_wamid)]) == 0


def test_end_turn_of_an_unknown_conversation_and_bad_input_are_refused(store) -> None:
    with pytest.raises(NotFound):
        store.end_turn(987654321, "00000000-0000-0000-0000-000000000000", {})
    with pytest.raises(InvalidArgument):
        store.begin_turn(inbound("12"))  # not an E.164 number


def test_a_text_turn_is_two_round_trips(postgrest, supabase_rpc) -> None:
    from shared.adapters.store import SqlStore

    store = SqlStore(supabase_rpc)
    before = len(postgrest.requests)
    start = store.begin_turn(inbound(text="pulsa 10rb"))
    store.end_turn(start.conversation_id, start.lease.token, {"intent": "buy"}, [OutboundMessage("Siap kak")])
    assert [r["path"] for r in postgrest.requests[before:]] == ["/rest/v1/rpc/begin_turn", "/rest/v1/rpc/end_turn"]


def test_model_tokens_are_counted_per_day_on_the_shops_clock(rpc) -> None:  # type: ignore[no-untyped-def]
    """TIMEZONE decides when "today" starts: 25 hours apart, these two zones never share a date."""
    from shared.adapters.store import SqlStore

    ahead, behind = SqlStore(rpc, timezone="Pacific/Kiritimati"), SqlStore(rpc, timezone="Pacific/Pago_Pago")
    wa_id = new_wa_id()
    first = ahead.begin_turn(inbound(wa_id))
    ahead.end_turn(first.conversation_id, first.lease.token, {}, [OutboundMessage(text="halo", tokens=120)])

    same_day = ahead.begin_turn(inbound(wa_id))
    assert same_day.usage["tokens_today"] == 120
    ahead.end_turn(same_day.conversation_id, same_day.lease.token, {}, [])

    other_day = behind.begin_turn(inbound(wa_id))
    assert other_day.usage["tokens_today"] == 0  # the day that counted is not this clock's today


def test_turns_last_minute_counts_turns_not_the_messages_queued_into_them(store, db) -> None:
    """RATE_LIMIT_PER_MINUTE reads ``turns_last_minute``: a burst answered by one turn counts once."""
    wa_id = new_wa_id()
    first = store.begin_turn(inbound(wa_id, "p"))
    assert first.usage["turns_last_minute"] == 1 and first.usage["messages_last_minute"] == 1

    # a burst while the turn runs, at once on several threads: every message queued, none a turn
    burst = [inbound(wa_id, text) for text in ["p", "kak", "p", "halo", "kak?", "p", "min", "p"]]
    barrier = threading.Barrier(len(burst))
    statuses: list[str] = []

    def deliver(msg) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        statuses.append(store.begin_turn(msg).status)

    threads = [threading.Thread(target=deliver, args=(m,)) for m in burst]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == ["queued"] * len(burst)

    end = store.end_turn(first.conversation_id, first.lease.token, {}, [OutboundMessage("Halo kak")])
    assert sorted(m.wamid for m in end.queued) == sorted(m.wamid for m in burst)  # answered with it
    store.end_turn(first.conversation_id, first.lease.token, {}, [OutboundMessage("Ada yang bisa dibantu?")])

    second = store.begin_turn(inbound(wa_id, "mau pulsa 10rb"))
    assert second.status == "leased"
    assert second.usage["turns_last_minute"] == 2
    assert second.usage["messages_last_minute"] == 2 + len(burst)
    assert count(db, "select count(*) from messages where conversation_id = %s and started_turn",
                 first.conversation_id) == 2
    store.end_turn(second.conversation_id, second.lease.token, {}, [OutboundMessage("Siap kak")])

    # a turn of more than a minute ago no longer counts
    db.execute("update messages set created_at = now() - interval '61 seconds' where wamid = %s", [first.messages[0].wamid])
    third = store.begin_turn(inbound(wa_id, "tsel"))
    assert third.usage["turns_last_minute"] == 2 and third.usage["messages_last_minute"] == 2 + len(burst)
    store.end_turn(third.conversation_id, third.lease.token, {}, [])


def test_concurrent_first_messages_start_one_turn(store, db) -> None:
    """Of messages arriving at once with no turn running, exactly one starts a turn (the lease is
    decided under the conversation's lock), whatever the interleaving."""
    wa_id = new_wa_id()
    msgs = [inbound(wa_id, text) for text in ["p", "p", "kak", "p", "kak", "p"]]
    barrier = threading.Barrier(len(msgs))
    starts = []

    def deliver(msg) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        starts.append(store.begin_turn(msg))

    threads = [threading.Thread(target=deliver, args=(m,)) for m in msgs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    leased = [s for s in starts if s.status == "leased"]
    assert len(leased) == 1 and sorted(s.status for s in starts).count("queued") == len(msgs) - 1
    assert leased[0].usage["turns_last_minute"] == 1
    conversation_id = leased[0].conversation_id
    started = db.execute("select wamid from messages where conversation_id = %s and started_turn",
                         [conversation_id]).fetchall()
    assert started == [(m.wamid,) for m in leased[0].messages]  # its own message, the only one it claimed
    while True:  # answer every batch, as the pipeline does
        end = store.end_turn(conversation_id, leased[0].lease.token, {}, [OutboundMessage("Halo kak")])
        if not end.queued:
            break
    assert count(db, "select count(*) from messages where conversation_id = %s and started_turn",
                 conversation_id) == 1
