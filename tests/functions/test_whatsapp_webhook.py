"""whatsapp_webhook through functions-framework, the pywa messenger against the Graph API stand-in,
real Postgres and Redis, and the Atlantic sandbox."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.functions.whatsapp import (
    PHONE_ID, SECRET, VERIFY, body, button_reply, contact, customer_says, echo, list_reply, message, sign,
    status, text, value, wamid,
)


def counts(world: Any) -> tuple[int, int, int]:
    return tuple(world.db.execute(
        "select (select count(*) from customers), (select count(*) from messages), (select count(*) from outbox)"
    ).fetchone())


def outbox(world: Any) -> list[dict[str, Any]]:
    import psycopg

    with world.db.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("select o.*, c.wa_id from outbox o join customers c on c.id = o.customer_id"
                           " order by o.id").fetchall()


# -- the handshake and the door -------------------------------------------------------------------


def test_the_verification_handshake_echoes_the_challenge_and_refuses_a_wrong_token(shop) -> None:
    world, phone = shop
    ok = phone.client.get("/", query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                                             "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    assert ok.headers["Content-Type"].startswith("text/plain")
    for args in ({"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
                 {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"}, {}):
        assert phone.client.get("/", query_string=args).status_code == 403


def test_signatures_missing_401_wrong_403_tampered_403_right_200_and_nothing_stored_when_refused(shop) -> None:
    world, phone = shop
    wa = world.customer()
    update = customer_says(wa, text(wa, "halo"))
    raw = json.dumps(update).encode()
    before = counts(world)
    assert phone.post(raw, signature=None).status_code == 401
    assert phone.post(raw, signature="sha256=" + "0" * 64).status_code == 403
    assert phone.post(raw, signature=sign(raw, "another-secret")).status_code == 403
    tampered = raw.replace(b"halo", b"hali")
    assert phone.post(tampered, signature=sign(raw)).status_code == 403
    assert counts(world) == before and phone.graph.sent() == []
    assert phone.post(raw).status_code == 200
    assert "Halo" in phone.graph.texts(wa)[-1]


def test_bad_bodies_are_refused_before_anything_is_written(shop) -> None:
    world, phone = shop
    before = counts(world)
    for raw in (b"{not json", b"[1, 2]", b'{"object": "whatsapp_business_account", "entry": 5}',
                b'{"entry": []}', json.dumps({"object": "whatsapp_business_account",
                                              "entry": [{"changes": [{"field": "messages", "value": {
                                                  "messages": [{"text": {"body": "a\u0000b"}}]}}]}]}).encode()):
        assert phone.post(raw).status_code == 400, raw
    big = b'{"object": "whatsapp_business_account", "entry": [], "pad": "' + b"x" * (4 * 1024 * 1024) + b'"}'
    assert phone.post(big).status_code == 413
    assert counts(world) == before


def test_a_body_of_3_mib_is_accepted(shop) -> None:
    world, phone = shop
    wa = world.customer()
    update = customer_says(wa, text(wa, "halo kak"))
    update["entry"][0]["changes"].append({"field": "account_update", "value": {"pad": "x" * (3 * 1024 * 1024)}})
    response = phone.post(update)
    assert response.status_code == 200 and response.get_json()["skipped"] == 1
    assert phone.graph.sent(wa)


# -- every kind of update ---------------------------------------------------------------------------


def test_a_classic_sender_without_user_id_is_answered(shop) -> None:
    """pywa's own parser drops an update without contacts[].user_id; we answer it."""
    world, phone = shop
    wa = world.customer()
    assert phone.post(body(value([text(wa, "halo kak 👋😊")], [contact(wa)]))).status_code == 200
    assert "Halo" in phone.graph.texts(wa)[-1]
    assert world.db.execute("select name from customers where wa_id = %s", [wa]).fetchone()[0] == "Budi"
    assert world.db.execute("select body from messages where direction = 'in'").fetchone()[0] == "halo kak 👋😊"


def test_a_sender_known_only_by_user_id_is_answered_by_user_id(shop) -> None:
    world, phone = shop
    uid = "ID.1234567890123456"
    update = body(value([text(None, "halo", user_id=uid)], [contact(None, uid, "Sari")]))
    assert phone.post(update).status_code == 200
    sent = phone.graph.sent(uid)
    assert sent and sent[-1].json["recipient"] == uid and "to" not in sent[-1].json
    assert world.db.execute("select wa_id, wa_user_id from customers").fetchall() == [(None, uid)]


def test_one_body_with_two_senders_answers_each_by_their_own_contact(shop) -> None:
    world, phone = shop
    a, b = world.customer(), world.customer()
    update = body(value([text(a, "halo"), text(b, "cek saldo")], [contact(a, name="Andi"), contact(b, name="Bea")]))
    assert phone.post(update).status_code == 200
    assert "Andi" in phone.graph.texts(a)[-1]
    assert "Saldo" in phone.graph.texts(b)[-1] or "saldo" in phone.graph.texts(b)[-1]
    names = dict(world.db.execute("select wa_id, name from customers").fetchall())
    assert names == {a: "Andi", b: "Bea"}


def test_two_entries_and_two_changes_in_one_body_are_all_read(shop) -> None:
    world, phone = shop
    a, b = world.customer(), world.customer()
    update = {"object": "whatsapp_business_account", "entry": [
        {"id": "W", "changes": [{"field": "messages", "value": value([text(a, "halo")], [contact(a)])}]},
        {"id": "W", "changes": [{"field": "messages", "value": value([text(b, "halo")], [contact(b)])}]}]}
    assert phone.post(update).get_json()["messages"] == 2
    assert phone.graph.sent(a) and phone.graph.sent(b)


def test_a_change_for_another_phone_number_is_skipped(shop) -> None:
    world, phone = shop
    wa = world.customer()
    v = value([text(wa, "halo")], [contact(wa)])
    v["metadata"]["phone_number_id"] = "999999999"
    assert phone.post(body(v)).get_json()["skipped"] == 1
    assert phone.graph.sent(wa) == []


def test_media_with_a_caption_runs_as_text_and_without_one_gets_a_polite_reply(shop) -> None:
    world, phone = shop
    wa = world.customer()
    image = {"id": "1479537139650973", "mime_type": "image/jpeg", "caption": "cek saldo"}  # no sha256: pywa drops it
    assert phone.post(customer_says(wa, message(wa, "image", image))).status_code == 200
    assert "saldo" in phone.graph.texts(wa)[-1].lower()
    stored = world.db.execute("select kind, body, payload from messages where direction = 'in'").fetchone()
    assert stored[0] == "image" and stored[1] == "cek saldo" and stored[2]["media"]["id"] == "1479537139650973"
    voice = {"id": "1479537139650974", "mime_type": "audio/ogg; codecs=opus", "sha256": "abc=", "voice": True}
    phone.post(customer_says(wa, message(wa, "audio", voice)))
    assert "pesan suara" in phone.graph.texts(wa)[-1] and "Tulis" in phone.graph.texts(wa)[-1]
    for kind, content in (("video", {"id": "77", "mime_type": "video/mp4"}),
                          ("document", {"id": "78", "mime_type": "application/pdf", "filename": "a.pdf"})):
        n = len(phone.graph.sent(wa))
        assert phone.post(customer_says(wa, message(wa, kind, content))).status_code == 200
        assert len(phone.graph.sent(wa)) == n + 1


def test_reactions_and_stickers_are_stored_in_silence(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    n = len(phone.graph.sent(wa))
    reaction = message(wa, "reaction", {"message_id": phone.last(wa).wamid, "emoji": "👍"})
    sticker = message(wa, "sticker", {"id": "555", "mime_type": "image/webp", "sha256": "x", "animated": False})
    assert phone.post(customer_says(wa, reaction)).status_code == 200
    assert phone.post(customer_says(wa, sticker)).status_code == 200
    assert len(phone.graph.sent(wa)) == n
    kinds = [r[0] for r in world.db.execute("select kind from messages where direction = 'in' order by id")]
    assert kinds == ["text", "reaction", "sticker"]


def test_location_contacts_and_unsupported_are_stored_and_answered_politely(shop) -> None:
    world, phone = shop
    wa = world.customer()
    location = message(wa, "location", {"latitude": -6.2, "longitude": 106.8, "name": "Rumah"})
    assert phone.post(customer_says(wa, location)).status_code == 200
    assert "lokasi" in phone.graph.texts(wa)[-1]
    unsupported = message(wa, "unsupported", None, errors=[{"code": 131051, "title": "Message type unknown"}])
    assert phone.post(customer_says(wa, unsupported)).status_code == 200
    assert "teks" in phone.graph.texts(wa)[-1]
    card = message(wa, "contacts", [{"name": {"formatted_name": "Adik"}, "phones": [{"phone": "+62 812-3456-7890",
                                                                                     "type": "CELL"}]}])
    assert phone.post(customer_says(wa, card)).status_code == 200
    kinds = [r[0] for r in world.db.execute("select kind from messages where direction = 'in' order by id")]
    assert kinds == ["location", "unsupported", "contacts"]
    assert world.db.execute("select body from messages where kind = 'contacts'").fetchone()[0] == "+62 812-3456-7890"


def test_value_errors_and_unknown_fields_are_logged_and_answered_200(shop, caplog) -> None:
    world, phone = shop
    update = body(value(errors=[{"code": 131000, "title": "Something went wrong",
                                 "error_data": {"details": "try later"}}]))
    update["entry"][0]["changes"].append({"field": "message_template_status_update", "value": {"event": "APPROVED"}})
    response = phone.post(update)
    assert response.status_code == 200 and response.get_json()["errors"] == 1
    assert "131000" in caplog.text


def test_a_list_reply_without_context_picks_the_product_by_its_row(shop) -> None:
    """pywa drops a list_reply without message-level context; the row id is a typed field here."""
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "paket data xl")
    sent = phone.last(wa).json
    assert sent["type"] == "interactive" and sent["interactive"]["type"] == "list"
    rows = sent["interactive"]["action"]["sections"][0]["rows"]
    assert 1 < len(rows) <= 10 and all(len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in rows)
    assert not any(f"{i}." in sent["interactive"]["body"]["text"] for i in range(1, 4))  # no numbers in the body
    assert len(sent["interactive"]["body"]["text"]) <= 1024
    second = rows[1]
    phone.post(customer_says(wa, list_reply(wa, second["id"], second["title"], second["description"])))
    assert second["title"].rstrip("…") in phone.graph.texts(wa)[-1]


def test_typing_2_instead_of_tapping_picks_the_second_row(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "paket data xl")
    rows = phone.last(wa).json["interactive"]["action"]["sections"][0]["rows"]
    phone.say(wa, "2")
    assert rows[1]["title"].rstrip("…") in phone.graph.texts(wa)[-1]


def test_read_receipt_and_typing_indicator_are_one_call_per_turn(shop) -> None:
    world, phone = shop
    wa = world.customer()
    mid = wamid()
    phone.post(customer_says(wa, text(wa, "halo", mid=mid)))
    assert phone.graph.typing() == [mid]


# -- a whole purchase -----------------------------------------------------------------------------------


def test_a_whole_purchase_over_whatsapp_payloads(shop) -> None:
    world, phone = shop
    graph = phone.graph
    wa = world.customer()
    phone.say(wa, "mau paket data tsel dong")  # the customer's 0813… is Telkomsel
    rows = phone.last(wa).json["interactive"]["action"]["sections"][0]["rows"]
    pick = rows[0]
    phone.post(customer_says(wa, list_reply(wa, pick["id"], pick["title"], pick["description"],
                                            context=phone.last(wa).wamid)))
    phone.say(wa, "nomor ini")
    quote = phone.last(wa).json
    assert quote["type"] == "interactive" and quote["interactive"]["type"] == "button"
    buttons = [b["reply"] for b in quote["interactive"]["action"]["buttons"]]
    assert [b["title"] for b in buttons] == ["Bayar QRIS", "Batal"]  # saldo Rp0: no "Pakai saldo"
    assert all(len(b["title"]) <= 20 for b in buttons)
    ref = buttons[0]["id"].split(":")[1]
    phone.post(customer_says(wa, button_reply(wa, buttons[0]["id"], buttons[0]["title"], context=phone.last(wa).wamid)))
    assert world.order(ref)["status"] == "confirmed"
    image = phone.last(wa).json
    assert image["type"] == "image" and image["image"]["id"].isdigit()
    assert image["image"]["id"] in graph.media and graph.media[image["image"]["id"]][1] == "image/png"
    assert graph.media[image["image"]["id"]][0].startswith(b"\x89PNG")
    payment = world.db.execute("select ref, atlantic_id, amount from payments").fetchone()
    assert payment[0] in image["image"]["caption"] and "Rp" in image["image"]["caption"]
    world.sandbox.engine.pay(payment[1])
    world.callbacks()  # the deposit callback → paid → submitted
    world.callbacks()  # the transaction callback → success → receipt
    assert world.order(ref)["status"] == "success"
    receipt = graph.texts(wa)[-1]
    assert world.order(ref)["sn"] in receipt.replace(" ", "") or world.order(ref)["sn"] in receipt
    world.reconcile()  # records the buffered send results
    rows_ = outbox(world)
    assert rows_ and all(r["status"] == "sent" and r["wamid"] for r in rows_)
    world.invariants()


def test_pakai_saldo_button_pays_from_saldo(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    world.credit(wa, 100_000)
    phone.say(wa, "pulsa xl 10rb ke 087812345678")
    buttons = [b["reply"] for b in phone.last(wa).json["interactive"]["action"]["buttons"]]
    assert [b["title"] for b in buttons] == ["Bayar QRIS", "Pakai saldo", "Batal"]
    phone.post(customer_says(wa, button_reply(wa, buttons[1]["id"], buttons[1]["title"])))
    ref = buttons[1]["id"].split(":")[1]
    assert world.order(ref)["status"] in ("paid", "processing", "success")
    assert world.saldo(wa) == 100_000 - world.order(ref)["price"]


def test_a_button_of_a_quote_the_customer_moved_away_from_never_pays(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    world.credit(wa, 100_000)
    phone.say(wa, "pulsa xl 10rb ke 087812345678")
    old = [b["reply"] for b in phone.last(wa).json["interactive"]["action"]["buttons"]]
    phone.say(wa, "batal")
    phone.say(wa, "pulsa xl 25rb ke 087812345678")
    phone.post(customer_says(wa, button_reply(wa, old[1]["id"], old[1]["title"])))
    assert world.order(old[1]["id"].split(":")[1])["status"] == "cancelled"
    assert world.saldo(wa) == 100_000
    assert "nggak berlaku" in phone.graph.texts(wa)[-1]


# -- duplicates and concurrency ---------------------------------------------------------------------------


def test_the_same_wamid_delivered_five_times_at_once_is_one_turn_and_one_reply(shop) -> None:
    world, phone = shop
    wa = world.customer()
    update = customer_says(wa, text(wa, "halo kak"))
    raw = json.dumps(update).encode()
    statuses: list[int] = []
    barrier = threading.Barrier(5)

    def deliver() -> None:
        from functions_framework import create_app

        from shared.config import PROJECT_ROOT

        client = create_app("whatsapp_webhook", str(PROJECT_ROOT / "functions" / "whatsapp_webhook" / "main.py")).test_client()
        barrier.wait()
        statuses.append(client.post("/", data=raw, headers={"X-Hub-Signature-256": sign(raw)},
                                    content_type="application/json").status_code)

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 5
    assert len(phone.graph.sent(wa)) == 1
    assert world.db.execute("select count(*) from messages where direction = 'in'").fetchone()[0] == 1


def test_the_database_down_answers_503_so_meta_retries(shop, postgrest_for) -> None:
    from shared import bootstrap
    from shared.adapters.supabase import SupabaseRpc

    world, phone = shop
    api = postgrest_for(world.url)
    app = bootstrap.App(world.settings, rpc=SupabaseRpc(api.url, api.service_key, timeout=5))
    bootstrap.use(app)
    try:
        wa = world.customer()
        api.refuse["begin_turn"] = 5
        update = customer_says(wa, text(wa, "halo"))
        assert phone.post(update).status_code == 503
        assert phone.graph.sent(wa) == []
        api.refuse.clear()
        assert phone.post(update).status_code == 200  # Meta's retry
        assert len(phone.graph.sent(wa)) == 1
    finally:
        app.close()
        bootstrap.use(world.app)


# -- sending failures and the outbox ----------------------------------------------------------------------


def age_outbox(world: Any) -> None:
    world.db.execute("update outbox set created_at = now() - interval '5 minutes',"
                     " next_attempt_at = least(next_attempt_at, now())")


@pytest.mark.parametrize("code", [130429, 131056, 131000])
def test_a_retryable_graph_error_leaves_the_row_for_the_reconciler(shop, code: int) -> None:
    world, phone = shop
    wa = world.customer()
    phone.graph.fail(code, to=wa)
    phone.say(wa, "halo")
    world.reconcile()  # records the failed send
    row = outbox(world)[-1]
    assert row["status"] == "pending" and row["error_code"] == code and row["wamid"] is None
    age_outbox(world)
    world.reconcile()
    world.reconcile()
    row = outbox(world)[-1]
    assert row["status"] == "sent" and row["wamid"] and len(phone.graph.sent(wa)) == 1


def test_a_5xx_without_json_is_retried(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.graph.fail(131016, to=wa, status=503)
    phone.say(wa, "halo")
    world.reconcile()
    assert outbox(world)[-1]["status"] == "pending"


def test_a_permanent_graph_error_fails_the_row_and_alerts_the_admins_once(shop) -> None:
    from tests.world import ADMIN

    world, phone = shop
    wa = world.customer()
    phone.graph.fail(131026, to=wa)
    phone.say(wa, "halo")
    world.reconcile()  # the failure is recorded
    world.reconcile()  # and reported
    row = next(r for r in outbox(world) if r["wa_id"] == wa)
    assert row["status"] == "failed" and row["error_code"] == 131026 and row["alerted_at"] is not None
    alerts = [r for r in outbox(world) if r["wa_id"] == ADMIN]
    assert len(alerts) == 1
    world.reconcile()
    assert len([r for r in outbox(world) if r["wa_id"] == ADMIN]) == 1


def test_an_expired_token_is_logged_as_an_error_with_a_stable_name(shop, caplog) -> None:
    world, phone = shop
    wa = world.customer()
    phone.graph.fail(190, to=wa)
    phone.say(wa, "halo")
    assert "whatsapp_auth_failed" in caplog.text
    world.reconcile()
    assert outbox(world)[-1]["status"] == "pending"  # sent once the token is fixed


def test_a_message_meta_accepted_is_never_resent_for_not_being_delivered_yet(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    world.reconcile()
    age_outbox(world)
    world.reconcile()
    world.reconcile()
    assert len(phone.graph.sent(wa)) == 1


def test_later_rows_of_a_customer_wait_behind_one_that_failed(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    customer_id = world.customer_id(wa)
    phone.graph.fail(130429, to=wa)
    world.app.shop.notifier.send([{"customer_id": customer_id, "text": "pertama"},
                                  {"customer_id": customer_id, "text": "kedua"}])
    assert phone.graph.texts(wa)[-1] != "kedua"
    world.db.execute("update outbox set created_at = now() - interval '5 minutes'")
    world.reconcile()
    assert "kedua" not in phone.graph.texts(wa)  # "pertama" is still waiting for its retry
    world.db.execute("update outbox set next_attempt_at = now() where status = 'pending'")
    world.reconcile()
    texts = phone.graph.texts(wa)
    assert texts[-2:] == ["pertama", "kedua"]


# -- statuses -------------------------------------------------------------------------------------------------


def test_statuses_only_record_delivered_and_read_on_the_outbox_row(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    sent = phone.last(wa)
    tracker = sent.json["biz_opaque_callback_data"]
    # the status arrives before this instance recorded the send result: found by its tracker
    delivered = body(value(statuses=[status(sent.wamid, "delivered", wa, tracker=tracker)]))
    response = phone.post(delivered)
    assert response.status_code == 200 and response.get_json()["statuses"] == {"applied": 1, "unknown": 0}
    row = outbox(world)[-1]
    assert row["delivery"] == "delivered" and row["status"] == "sent" and row["wamid"] == sent.wamid
    phone.post(body(value(statuses=[status(sent.wamid, "read", wa, tracker=tracker)])))
    phone.post(delivered)  # a late, repeated "delivered" does not go back
    assert outbox(world)[-1]["delivery"] == "read"
    unknown = phone.post(body(value(statuses=[status(wamid(), "read", wa)])))
    assert unknown.get_json()["statuses"] == {"applied": 0, "unknown": 1}


def test_a_failed_status_with_a_retryable_code_is_resent_once(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    world.reconcile()
    sent = phone.last(wa)
    failed = body(value(statuses=[status(sent.wamid, "failed", wa, tracker=sent.json["biz_opaque_callback_data"],
                                         code=131056, title="Pair rate limit hit")]))
    phone.post(failed)
    phone.post(failed)  # repeated by Meta: counted once
    row = outbox(world)[-1]
    assert row["status"] == "pending" and row["delivery"] == "failed" and row["error_code"] == 131056
    assert row["attempts"] == 2  # the send, and this failure
    age_outbox(world)
    world.reconcile()
    world.reconcile()
    assert len(phone.graph.sent(wa)) == 2 and outbox(world)[-1]["status"] == "sent"


def test_a_failed_status_with_a_permanent_code_fails_the_row(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    sent = phone.last(wa)
    phone.post(body(value(statuses=[status(sent.wamid, "failed", wa, tracker=sent.json["biz_opaque_callback_data"],
                                           code=131026, title="Message undeliverable")])))
    row = outbox(world)[-1]
    assert row["status"] == "failed" and row["error_code"] == 131026


def test_131047_closes_the_window_and_without_a_template_the_row_is_held_until_the_customer_writes(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    sent = phone.last(wa)
    phone.post(body(value(statuses=[status(sent.wamid, "failed", wa, tracker=sent.json["biz_opaque_callback_data"],
                                           code=131047, title="Re-engagement message")])))
    assert world.db.execute("select window_closed_at is not null from customers where wa_id = %s", [wa]).fetchone()[0]
    # a receipt for this customer now: no template, so it is held, and logged
    world.app.shop.notifier.customer(world.customer_id(wa), "Token kamu: 1234 5678")
    world.reconcile()
    held = outbox(world)[-1]
    assert held["status"] == "held" and "Token" not in " ".join(phone.graph.texts(wa))
    phone.say(wa, "kak")  # the window opens again: the held row goes out with the next sweep
    world.db.execute("update outbox set created_at = now() - interval '5 minutes' where status = 'pending'")
    world.reconcile()
    world.reconcile()
    assert any("Token kamu" in t for t in phone.graph.texts(wa))


def test_outside_the_window_a_notification_goes_out_as_the_template(shop_with_template) -> None:
    world, phone = shop_with_template
    wa = world.customer()
    phone.say(wa, "halo")
    world.db.execute("update customers set last_seen_at = now() - interval '25 hours' where wa_id = %s", [wa])
    world.app.shop.notifier.customer(world.customer_id(wa), "Pesanan BJ123 berhasil ✅\nToken: 1234 5678")
    sent = phone.last(wa).json
    assert sent["type"] == "template" and sent["template"]["name"] == "kabar_pesanan"
    param = sent["template"]["components"][0]["parameters"][0]["text"]
    assert "\n" not in param and "1234 5678" in param


def test_an_admin_who_never_wrote_gets_alerts_as_the_template(shop_with_template) -> None:
    from tests.world import ADMIN

    world, phone = shop_with_template
    world.app.shop.notifier.admins([ADMIN], "⚠️ Saldo Atlantic tinggal Rp100.000")
    assert phone.last(ADMIN).json["type"] == "template"


# -- the seller takes over ------------------------------------------------------------------------------------


def test_a_seller_echo_is_stored_as_the_shops_message_and_the_bot_stays_quiet(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    n = len(phone.graph.sent(wa))
    mid = wamid()
    assert phone.post(echo(wa, "Halo kak, ini Budi pemilik toko. Mau dibantu apa?", mid=mid)).status_code == 200
    assert phone.post(echo(wa, "Halo kak, ini Budi pemilik toko. Mau dibantu apa?", mid=mid)).status_code == 200
    stored = world.db.execute("select direction, body, payload from messages where wamid = %s", [mid]).fetchall()
    assert len(stored) == 1 and stored[0][0] == "out" and stored[0][2]["by"] == "seller"
    assert world.db.execute("select count(*) from outbox o join messages m on m.id = o.message_id"
                            " where m.wamid = %s", [mid]).fetchone()[0] == 0
    phone.say(wa, "mau pulsa 10rb kak")
    assert len(phone.graph.sent(wa)) == n  # the seller answers this one
    assert world.db.execute("select handled_at is not null from messages where body = 'mau pulsa 10rb kak'").fetchone()[0]
    other = world.customer()
    phone.say(other, "halo")
    assert phone.graph.sent(other)  # only that customer is the seller's
    world.db.execute("update conversations set quiet_until = now() - interval '1 second'")
    phone.say(wa, "kak?")
    assert len(phone.graph.sent(wa)) == n + 1


def test_a_131047_refusal_at_send_time_goes_out_as_the_template(shop_with_template) -> None:
    world, phone = shop_with_template
    wa = world.customer()
    phone.say(wa, "halo")
    phone.graph.fail(131047, to=wa, message="Re-engagement message")
    world.app.shop.notifier.customer(world.customer_id(wa), "Pesanan BJ123 berhasil ✅")
    assert phone.last(wa).json["type"] == "template"


def test_without_a_template_a_131047_refusal_at_send_time_holds_the_row(shop) -> None:
    world, phone = shop
    wa = world.customer()
    phone.say(wa, "halo")
    phone.graph.fail(131047, to=wa, message="Re-engagement message")
    world.app.shop.notifier.customer(world.customer_id(wa), "Pesanan BJ123 berhasil ✅")
    assert outbox(world)[-1]["status"] == "held" and outbox(world)[-1]["error_code"] == 131047
