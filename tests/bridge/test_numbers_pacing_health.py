"""A number answer mapped back to its button or row, pacing against bans, and every /healthz state."""

from __future__ import annotations

import time
from typing import Any, Callable

import httpx
import pytest

from bridge import session as s
from bridge.app import Bridge
from bridge.graph import GraphError, Pacer
from bridge.neonize_session import NeonizeSession
from bridge.store import libpq_url
from tests.bridge import neonize_events as ne
from tests.bridge.conftest import CUSTOMER, WebhookReceiver, customer_writes, pywa_for, settings
from tests.functions.whatsapp import SHOP_NUMBER


def _buttons(bridge: Bridge) -> str:
    from pywa.types import Button

    return pywa_for(bridge).send_message(to=CUSTOMER, text="Lanjut bayar?", buttons=[
        Button(title="Bayar QRIS", callback_data="qris:BJ1"), Button(title="Pakai saldo", callback_data="saldo:BJ1"),
        Button(title="Batal", callback_data="cancel:BJ1")]).id


def _last(receiver: WebhookReceiver, n: int) -> dict[str, Any]:
    receiver.wait(lambda r: len(r.messages()) >= n)
    return receiver.messages()[n - 1]


# -- number answers ---------------------------------------------------------------------------------


def test_a_number_answer_becomes_the_button_reply_with_its_context(bridge: Bridge, receiver: WebhookReceiver) -> None:
    customer_writes(bridge, "pulsa 10rb")
    quote = _buttons(bridge)
    customer_writes(bridge, " 2 ")
    m = _last(receiver, 2)
    assert m["type"] == "interactive" and m["context"] == {"from": SHOP_NUMBER, "id": quote}
    assert m["interactive"] == {"type": "button_reply", "button_reply": {"id": "saldo:BJ1", "title": "Pakai saldo"}}
    shown = httpx.get(f"{bridge.url}/webphone/messages", params={"chat": CUSTOMER}).json()["messages"][-1]
    assert (shown["direction"], shown["type"], shown["text"]) == ("in", "text", " 2 ")  # the customer sees "2"


def test_a_number_answer_to_a_list_becomes_the_list_reply(bridge: Bridge, receiver: WebhookReceiver) -> None:
    from pywa.types import Section, SectionList, SectionRow

    customer_writes(bridge, "paket tsel")
    listing = pywa_for(bridge).send_message(to=CUSTOMER, text="Pilih:", buttons=SectionList(button_title="Lihat", sections=[
        Section(title="Tsel", rows=[SectionRow(title="Tsel 10rb", callback_data="pick:S10", description="Rp12.000"),
                                    SectionRow(title="Tsel 20rb", callback_data="pick:S20", description="Rp21.500")])]))
    customer_writes(bridge, "2.")
    m = _last(receiver, 2)
    assert m["context"]["id"] == listing.id
    assert m["interactive"] == {"type": "list_reply",
                                "list_reply": {"id": "pick:S20", "title": "Tsel 20rb", "description": "Rp21.500"}}


def test_a_number_passes_as_text_when_out_of_range_stale_or_not_answering_the_latest(
        bridge: Bridge, receiver: WebhookReceiver) -> None:
    customer_writes(bridge, "halo")
    _buttons(bridge)
    customer_writes(bridge, "7")  # no 7th button
    assert _last(receiver, 2)["type"] == "text"
    pywa_for(bridge).send_message(to=CUSTOMER, text="Ada lagi kak?")  # the latest is no longer the buttons
    customer_writes(bridge, "1")
    assert _last(receiver, 3) == _last(receiver, 3) | {"type": "text", "text": {"body": "1"}}
    _buttons(bridge)
    bridge.store._one("update bridge.sent set created_at = now() - interval '16 minutes' returning 1")  # > QUOTE_TTL
    customer_writes(bridge, "1")
    assert _last(receiver, 4)["type"] == "text"


# -- pacing -----------------------------------------------------------------------------------------


class Clock:
    def __init__(self, frozen: bool = False) -> None:
        self.now = 1000.0
        self.frozen = frozen  # callers arriving together: nobody's wait moves the others' clock
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        if not self.frozen:
            self.now += seconds


class Quiet:
    state = s.State(s.OK)
    typed: list[str] = []

    def typing(self, chat: str, on: bool) -> None:
        self.typed.append(chat)


def _pacer(frozen: bool = False, **over: Any) -> tuple[Pacer, Clock]:
    clock = Clock(frozen)
    base = dict(bridge_typing_ms_per_char=40, bridge_typing_max_seconds=4, bridge_chat_gap_seconds=1.5,
                bridge_sends_per_minute=30, bridge_send_wait_seconds=6)
    return Pacer(settings("http://x/", "postgresql://x/x", **(base | over)), clock=clock, sleep=clock.sleep), clock


def test_typing_lasts_in_proportion_to_the_reply_and_is_capped() -> None:
    pacer, clock = _pacer()
    sent = s.Sent("a", 0)
    pacer.run("a@s.whatsapp.net", 50, Quiet(), lambda: sent)
    pacer.run("b@s.whatsapp.net", 500, Quiet(), lambda: sent)
    assert clock.slept == [2.0, 4.0]  # 50 × 40 ms; 500 × 40 ms capped at 4 s


def test_a_minimum_gap_per_chat_and_a_global_rate() -> None:
    pacer, clock = _pacer(bridge_typing_ms_per_char=0)
    sent = s.Sent("a", 0)
    pacer.run("a@s.whatsapp.net", 1, Quiet(), lambda: sent)  # t=1000
    pacer.run("a@s.whatsapp.net", 1, Quiet(), lambda: sent)  # same chat: waits the 1.5 s gap... and the 2 s slot
    pacer.run("b@s.whatsapp.net", 1, Quiet(), lambda: sent)  # another chat: only the global rate (30/min)
    assert clock.slept == [2.0, 2.0]


def test_a_send_that_would_wait_too_long_is_refused_as_a_rate_limit() -> None:
    pacer, clock = _pacer(True, bridge_typing_ms_per_char=0, bridge_sends_per_minute=10, bridge_send_wait_seconds=6)
    sent = s.Sent("a", 0)
    pacer.run("a@s.whatsapp.net", 1, Quiet(), lambda: sent)
    pacer.run("b@s.whatsapp.net", 1, Quiet(), lambda: sent)  # its slot is 6 s away: it waits
    with pytest.raises(GraphError) as refused:  # this one's is 12 s away: over BRIDGE_SEND_WAIT_SECONDS
        pacer.run("c@s.whatsapp.net", 1, Quiet(), lambda: sent)
    assert refused.value.code == 130429 and refused.value.status == 429 and clock.slept == [6.0]


def test_typing_shows_on_the_phone_before_a_paced_reply(make_bridge: Callable[..., Bridge]) -> None:
    bridge = make_bridge(bridge_typing_ms_per_char=20, bridge_typing_max_seconds=0.6)
    customer_writes(bridge, "halo")
    import threading

    seen: list[bool] = []
    sender = threading.Thread(target=lambda: pywa_for(bridge).send_message(to=CUSTOMER, text="x" * 100))
    started = time.monotonic()
    sender.start()
    while sender.is_alive():
        seen.append(httpx.get(f"{bridge.url}/webphone/messages", params={"chat": CUSTOMER}).json()["typing"])
        time.sleep(0.05)
    sender.join()
    assert True in seen and time.monotonic() - started >= 0.6
    assert httpx.get(f"{bridge.url}/webphone/messages", params={"chat": CUSTOMER}).json()["typing"] is False


# -- health -----------------------------------------------------------------------------------------


def test_webphone_is_ok_and_livez_always_answers(bridge: Bridge) -> None:
    assert httpx.get(f"{bridge.url}/healthz").json()["status"] == "ok"
    assert httpx.get(f"{bridge.url}/livez").json() == {"status": "live"}


def test_an_unreachable_store_is_503(make_bridge: Callable[..., Bridge], fresh_database: Any, pg_admin_url: str) -> None:
    import psycopg

    db = fresh_database()
    bridge = make_bridge(db_url=db)
    name = psycopg.conninfo.conninfo_to_dict(db)["dbname"]
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'drop database "{name}" with (force)')
    r = httpx.get(f"{bridge.url}/healthz")
    assert r.status_code == 503 and r.json()["status"] == "store_unavailable"
    assert httpx.get(f"{bridge.url}/livez").status_code == 200
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')  # for the fixture's cleanup


@pytest.fixture
def neonize(make_bridge: Callable[..., Bridge], fresh_database: Any) -> Bridge:
    db = fresh_database()
    return make_bridge(db_url=db, session=lambda st: NeonizeSession(st, libpq_url(db)))


def _health(bridge: Bridge) -> tuple[int, str]:
    r = httpx.get(f"{bridge.url}/healthz")
    return r.status_code, r.json()["status"]


def _event(cls: type, **fields: Any) -> bytes:
    return cls(**fields).SerializeToString()


def test_every_neonize_state_shows_on_healthz(neonize: Bridge) -> None:
    from neonize import events as ev
    from neonize.proto.Neonize_pb2 import ConnectFailureReason, Node

    client = neonize.session.client
    assert _health(neonize) == (503, "starting")
    neonize.session._on_qr(client, b"2@AbCdEf,ghIjK,LmNoP=")  # neonize's QR callback
    assert _health(neonize) == (503, "waiting_for_qr")
    token = {"Authorization": f"Bearer {neonize.settings.whatsapp_token.get_secret_value()}"}
    qr = httpx.get(f"{neonize.url}/qr", headers=token)
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png" and qr.content[:4] == b"\x89PNG"
    assert httpx.get(f"{neonize.url}/qr").status_code == 401
    ne.dispatch(client, ev.ConnectedEv, _event(ev.ConnectedEv, status=True))
    assert _health(neonize) == (200, "ok")
    assert httpx.get(f"{neonize.url}/qr", headers=token).status_code == 404
    ne.dispatch(client, ev.DisconnectedEv, _event(ev.DisconnectedEv, status=True))
    assert _health(neonize) == (503, "disconnected")
    ne.dispatch(client, ev.KeepAliveRestoredEv, _event(ev.KeepAliveRestoredEv))
    assert _health(neonize) == (200, "ok")
    ne.dispatch(client, ev.TemporaryBanEv, _event(ev.TemporaryBanEv, Code=1, Expire=3600))
    assert _health(neonize) == (503, "temp_banned")
    ne.dispatch(client, ev.ClientOutdatedEv, _event(ev.ClientOutdatedEv))
    assert _health(neonize) == (503, "client_outdated")
    ne.dispatch(client, ev.StreamReplacedEv, _event(ev.StreamReplacedEv))
    assert _health(neonize) == (503, "stream_replaced")
    ne.dispatch(client, ev.ConnectFailureEv, _event(ev.ConnectFailureEv, Reason=ConnectFailureReason.CLIENT_OUTDATED,
                                                    Message="405", Raw=Node(Tag="failure")))
    assert _health(neonize) == (503, "client_outdated")
    ne.dispatch(client, ev.LoggedOutEv, _event(ev.LoggedOutEv, OnConnect=False, Reason=ConnectFailureReason.LOGGED_OUT))
    status, body = 503, httpx.get(f"{neonize.url}/healthz").json()
    assert (status, body["status"]) == (503, "logged_out") and "QR" in body["detail"]


def test_webhook_failing_wins_over_ok(neonize: Bridge, receiver: WebhookReceiver) -> None:
    from neonize import events as ev

    ne.dispatch(neonize.session.client, ev.ConnectedEv, _event(ev.ConnectedEv, status=True))
    receiver.status = 500
    ne.dispatch(neonize.session.client, *ne.CASES["text"])
    receiver.wait(lambda r: r.attempts >= 2)
    time.sleep(1.1)
    assert _health(neonize) == (503, "webhook_failing")
    receiver.status = 200
    receiver.wait(lambda r: r.messages())
    assert _health(neonize) == (200, "ok")


def test_sending_while_not_connected_is_a_retryable_graph_error(neonize: Bridge) -> None:
    from pywa import errors

    neonize.store.commit_event("message", f"{ne.PN}@s.whatsapp.net", {"id": "X1", "ts": 1, "pn": ne.PN, "type": "text"},
                               wamid="X1", pn=ne.PN)
    with pytest.raises(errors.WhatsAppError) as refused:
        pywa_for(neonize).send_message(to=ne.PN, text="halo")
    assert refused.value.code == 131016
