"""neonize events → the exact Cloud API webhook JSON (tests/data/cloud_api), through neonize's real
decode path, the bridge's outbox and a signed POST; plus what must never reach the functions."""

from __future__ import annotations

import json
import os
import re
from typing import Any, Callable

import pytest

from bridge.app import Bridge
from bridge.neonize_session import NeonizeSession
from bridge.store import libpq_url
from tests.bridge import neonize_events as ne
from tests.bridge.conftest import WebhookReceiver

REGENERATE = os.environ.get("REGENERATE_FIXTURES") == "1"  # writes the fixture files; review the diff


def cdn(message: Any) -> bytes:
    """WhatsApp's media servers, for the test: the bytes of the message's media."""
    kind = next(k for k in ne.MEDIA_BYTES if message.HasField(f"{k}Message"))
    return ne.MEDIA_BYTES[kind]


@pytest.fixture
def neonize_bridge(make_bridge: Callable[..., Bridge], fresh_database: Any) -> Bridge:
    db = fresh_database()
    return connected(make_bridge(db_url=db, session=lambda s: NeonizeSession(s, libpq_url(db), downloader=cdn)))


def connected(bridge: Bridge) -> Bridge:
    """What whatsmeow reports once the session is up (messages arrive only then)."""
    from neonize.events import ConnectedEv

    ne.dispatch(bridge.session.client, ConnectedEv, ConnectedEv(status=True).SerializeToString())
    return bridge


def _normalized(body: dict[str, Any], case: str) -> dict[str, Any]:
    """Media ids are minted by the bridge (16 random digits): the fixture has a fixed one."""
    text = json.dumps(body, ensure_ascii=False)
    ids = set(re.findall(r'"id": "([0-9]{16})"', text))
    assert len(ids) <= 1, ids
    for found in ids:
        text = text.replace(found, "1796130000000001")
    return json.loads(text)


def _deliver(bridge: Bridge, receiver: WebhookReceiver, case: str) -> dict[str, Any]:
    kind, blob = ne.CASES[case]
    before = len(receiver.bodies)
    ne.dispatch(bridge.session.client, kind, blob)
    receiver.wait(lambda r: len(r.bodies) > before)
    return _normalized(receiver.bodies[before], case)


@pytest.mark.parametrize("case", sorted(ne.CASES))
def test_each_event_becomes_the_exact_cloud_api_body(case: str, neonize_bridge: Bridge, receiver: WebhookReceiver) -> None:
    if case.startswith("receipt"):
        neonize_bridge.store.record_sent("3EB0FFFF00000000OUT1", f"{ne.LID}@lid", "text", tracker="outbox:42")
    body = _deliver(neonize_bridge, receiver, case)
    if REGENERATE:
        ne.FIXTURES.mkdir(parents=True, exist_ok=True)
        (ne.FIXTURES / f"{case}.json").write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert body == ne.fixture(case)
    assert receiver.bad_signatures == 0


def test_media_is_downloaded_at_once_and_served_by_its_id(neonize_bridge: Bridge, receiver: WebhookReceiver) -> None:
    from tests.bridge.conftest import pywa_for

    ne.dispatch(neonize_bridge.session.client, *ne.CASES["image"])
    receiver.wait(lambda r: r.messages())
    image = receiver.messages()[0]["image"]
    wa = pywa_for(neonize_bridge)
    url = wa.get_media_url(image["id"])
    assert wa.get_media_bytes(url.url) == ne.MEDIA_BYTES["image"]
    assert url.mime_type == "image/jpeg"


def test_media_that_cannot_be_downloaded_arrives_as_unsupported(make_bridge: Callable[..., Bridge], fresh_database: Any,
                                                                receiver: WebhookReceiver) -> None:
    def gone(message: Any) -> bytes:
        raise OSError("403 from mmg.whatsapp.net: media expired")

    db = fresh_database()
    bridge = connected(make_bridge(db_url=db, session=lambda s: NeonizeSession(s, libpq_url(db), downloader=gone),
                                   bridge_retry_base_seconds=0.01))
    ne.dispatch(bridge.session.client, *ne.CASES["voice"])
    receiver.wait(lambda r: r.messages())
    m = receiver.messages()[0]
    assert m["type"] == "unsupported" and m["errors"][0]["code"] == 131052 and m["id"] == "3EB0A0000000000000V1"


def test_groups_broadcasts_status_posts_and_revokes_never_reach_the_functions(neonize_bridge: Bridge,
                                                                              receiver: WebhookReceiver) -> None:
    for kind, blob in ne.IGNORED.values():
        ne.dispatch(neonize_bridge.session.client, kind, blob)
    ne.dispatch(neonize_bridge.session.client, *ne.CASES["text"])  # a marker behind them
    receiver.wait(lambda r: r.messages())
    assert [m["id"] for m in receiver.messages()] == ["3EB0A0000000000000T1"] and len(receiver.bodies) == 1


def test_a_message_whatsmeow_delivers_twice_is_committed_once(neonize_bridge: Bridge, receiver: WebhookReceiver) -> None:
    for _ in range(3):  # offline sync after a reconnect replays what the last connection saw
        ne.dispatch(neonize_bridge.session.client, *ne.CASES["text"])
    ne.dispatch(neonize_bridge.session.client, *ne.CASES["lid_only"])
    receiver.wait(lambda r: len(r.messages()) >= 2)
    assert [m["id"] for m in receiver.messages()] == ["3EB0A0000000000000T1", "3EB0A0000000000000N1"]



def test_events_wait_in_memory_while_the_outbox_is_unreachable(make_bridge: Callable[..., Bridge], fresh_database: Any,
                                                               receiver: WebhookReceiver) -> None:
    """Postgres goes away under the session's callback: the events are kept in order and committed
    once it is back; meanwhile they show on /metrics."""
    import httpx
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from tests.fakes.tcp import CuttableProxy

    db = fresh_database()
    params = conninfo_to_dict(db)
    if str(params.get("host", "")).startswith("/"):
        pytest.skip("the embedded Postgres listens on a Unix socket: no TCP to cut")
    with CuttableProxy(params.get("host", "127.0.0.1"), int(params.get("port", 5432))) as proxy:
        via = make_conninfo(**(params | {"host": "127.0.0.1", "port": str(proxy.port)}))
        bridge = make_bridge(db_url=via, session=lambda s: NeonizeSession(s, libpq_url(via), downloader=cdn))
        proxy.cut()
        ne.dispatch(bridge.session.client, *ne.CASES["text"])
        ne.dispatch(bridge.session.client, *ne.CASES["lid_only"])
        assert len(bridge.session._spill) == 2
        proxy.restore()
        receiver.wait(lambda r: len(r.messages()) >= 2, timeout=30)
        assert [m["id"] for m in receiver.messages()] == ["3EB0A0000000000000T1", "3EB0A0000000000000N1"]
        assert "bridge_events_in_memory 0.0" in httpx.get(f"{bridge.url}/metrics").text


def test_a_nul_in_a_message_is_dropped_and_nothing_behind_it_is_held_up(neonize_bridge: Bridge,
                                                                       receiver: WebhookReceiver) -> None:
    from neonize.events import MessageEv
    from neonize.proto.waE2E import WAWebProtobufsE2E_pb2 as e2e

    ne.dispatch(neonize_bridge.session.client, MessageEv,
                ne.message(e2e.Message(conversation="pulsa\x00 10rb"), "3EB0A000000000000NUL", name="Bu\x00di"))
    ne.dispatch(neonize_bridge.session.client, *ne.CASES["text"])
    receiver.wait(lambda r: len(r.messages()) >= 2)
    assert receiver.messages()[0]["text"]["body"] == "pulsa 10rb"
    assert receiver.values()[0]["contacts"][0]["profile"]["name"] == "Budi"


def test_media_over_the_size_limit_is_not_downloaded(make_bridge: Callable[..., Bridge], fresh_database: Any,
                                                     receiver: WebhookReceiver) -> None:
    from neonize.events import MessageEv

    asked: list[Any] = []
    db = fresh_database()
    bridge = connected(make_bridge(db_url=db, bridge_media_max_mb=1, session=lambda s: NeonizeSession(
        s, libpq_url(db), downloader=lambda m: asked.append(m) or b"")))
    video = ne._media("video", mimetype="video/mp4")
    video.videoMessage.fileLength = 50 * 1024 * 1024
    ne.dispatch(bridge.session.client, MessageEv, ne.message(video, "3EB0A0000000000BIG1"))
    receiver.wait(lambda r: r.messages())
    assert receiver.messages()[0]["type"] == "unsupported" and receiver.messages()[0]["errors"][0]["code"] == 131052
    assert asked == []
