"""The bridge's Graph API subset with pywa itself as the client, over the web phone session."""

from __future__ import annotations

import io
import json
import subprocess

import httpx
import pytest

from bridge.app import Bridge
from tests.bridge.conftest import CUSTOMER, WebhookReceiver, customer_writes, phone_messages, pywa_for
from tests.fakes.http import JsonStandIn
from tests.functions.whatsapp import PHONE_ID


def png() -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make_qr("00020101021226").save(buf, kind="png", scale=4)
    return buf.getvalue()


def wav() -> bytes:
    return subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                           "sine=frequency=440:duration=2", "-ar", "44100", "-f", "wav", "-"],
                          check=True, capture_output=True).stdout


def test_text_is_sent_and_answered_in_metas_shape(bridge: Bridge) -> None:
    customer_writes(bridge, "halo")
    wa = pywa_for(bridge)
    sent = wa.send_message(to=CUSTOMER, text="Halo kak 👋")
    assert sent.id.startswith("3EB0") and sent.input == CUSTOMER
    out = [m for m in phone_messages(bridge) if m["direction"] == "out"]
    assert out == [{"seq": out[0]["seq"], "id": sent.id, "direction": "out", "type": "text", "text": "Halo kak 👋",
                    "timestamp": out[0]["timestamp"], "status": "delivered"}]
    assert isinstance(out[0]["timestamp"], int)


def test_buttons_and_lists_become_numbered_text_the_only_place_numbers_are_added(bridge: Bridge) -> None:
    from pywa.types import Button, Section, SectionList, SectionRow

    customer_writes(bridge, "mau pulsa")
    wa = pywa_for(bridge)
    wa.send_message(to=CUSTOMER, text="Total *Rp12.000*", header="Pesanan",
                    buttons=[Button(title="Bayar QRIS", callback_data="qris:BJ1"),
                             Button(title="Batal", callback_data="cancel:BJ1")])
    wa.send_message(to=CUSTOMER, text="Pilih nominal:", buttons=SectionList(button_title="Lihat", sections=[
        Section(title="Telkomsel", rows=[SectionRow(title="Tsel 10rb", callback_data="pick:S10", description="Rp12.000"),
                                         SectionRow(title="Tsel 20rb", callback_data="pick:S20")])]))
    out = [m for m in phone_messages(bridge) if m["direction"] == "out"]
    assert [m["type"] for m in out] == ["interactive", "interactive"]
    assert out[0]["text"] == ("*Pesanan*\nTotal *Rp12.000*\n\n*1.* Bayar QRIS\n*2.* Batal\n\n"
                              "Balas dengan angkanya ya kak (1-2).")
    assert "*1.* Tsel 10rb — Rp12.000\n*2.* Tsel 20rb" in out[1]["text"]


def test_a_template_is_rendered_as_its_text(bridge: Bridge) -> None:
    customer_writes(bridge, "halo")
    body = {"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template",
            "template": {"name": "kabar_pesanan", "language": {"code": "id"},
                         "components": [{"type": "body", "parameters": [{"type": "text", "text": "Pesanan BJ1 berhasil"}]}]}}
    r = httpx.post(f"{bridge.url}/v26.0/{PHONE_ID}/messages", json=body,
                   headers={"Authorization": f"Bearer {bridge.settings.whatsapp_token.get_secret_value()}"})
    assert r.status_code == 200 and r.json()["messages"][0]["id"]
    assert phone_messages(bridge)[-1] | {"seq": 0, "id": "", "timestamp": 0} == {
        "seq": 0, "id": "", "direction": "out", "type": "template", "text": "Pesanan BJ1 berhasil", "timestamp": 0,
        "status": "delivered"}


def test_media_upload_url_download_and_an_image_by_id(bridge: Bridge) -> None:
    customer_writes(bridge, "qris dong")
    wa = pywa_for(bridge)
    data = png()
    media = wa.upload_media(media=data, mime_type="image/png", filename="qris.png")
    assert media.id.isdigit()
    url = wa.get_media_url(media.id)
    assert url.mime_type == "image/png" and url.file_size == len(data)
    import hashlib

    assert url.sha256 == hashlib.sha256(data).hexdigest()
    assert wa.get_media_bytes(url.url) == data
    sent = wa.send_image(to=CUSTOMER, image=media.id, caption="Kode bayar: PY7KQ2M9XH")
    shown = phone_messages(bridge)[-1]
    assert shown["id"] == sent.id and shown["type"] == "image" and shown["text"] == "Kode bayar: PY7KQ2M9XH"
    assert httpx.get(bridge.url + shown["media_url"]).content == data


def test_an_image_by_link(bridge: Bridge) -> None:
    data = png()

    class Files(JsonStandIn):
        def handle_get(self, path: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
            return 200, (data, "image/png")

    customer_writes(bridge, "halo")
    with Files() as files:
        pywa_for(bridge).send_image(to=CUSTOMER, image=f"{files.url}/qris.png", caption="QRIS")
    shown = phone_messages(bridge)[-1]
    assert shown["type"] == "image" and httpx.get(bridge.url + shown["media_url"]).content == data


def test_audio_becomes_an_ogg_opus_voice_note(bridge: Bridge, tmp_path) -> None:  # type: ignore[no-untyped-def]
    customer_writes(bridge, "kirim vn")
    wa = pywa_for(bridge)
    media = wa.upload_media(media=wav(), mime_type="audio/wav", filename="v.wav")
    wa.send_audio(to=CUSTOMER, audio=media.id)
    shown = phone_messages(bridge)[-1]
    assert shown["type"] == "audio"
    ogg = httpx.get(bridge.url + shown["media_url"]).content
    (tmp_path / "v.ogg").write_bytes(ogg)
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(tmp_path / "v.ogg")],
                                      check=True, capture_output=True).stdout)["streams"][0]
    assert (probe["codec_name"], probe["channels"]) == ("opus", 1)
    head = ogg.index(b"OpusHead")  # Opus always decodes at 48 kHz; the rate it was made from is in its header
    assert int.from_bytes(ogg[head + 12:head + 16], "little") == 16000


def test_read_receipt_and_typing_indicator(bridge: Bridge) -> None:
    wamid = customer_writes(bridge, "halo")
    pywa_for(bridge).indicate_typing(message_id=wamid)
    state = httpx.get(f"{bridge.url}/webphone/messages", params={"chat": CUSTOMER}).json()
    assert state["typing"] is True
    pywa_for(bridge).send_message(to=CUSTOMER, text="Halo kak")
    assert httpx.get(f"{bridge.url}/webphone/messages", params={"chat": CUSTOMER}).json()["typing"] is False
    assert pywa_for(bridge).mark_message_as_read(message_id=wamid).success is True


def test_a_customer_known_by_user_id_gets_the_reply(bridge: Bridge, receiver: WebhookReceiver) -> None:
    customer_writes(bridge, "halo")
    receiver.wait(lambda r: r.messages())
    user_id = receiver.values()[0]["contacts"][0]["user_id"]
    sent = pywa_for(bridge).send_message(to=user_id, text="Halo kak")
    assert phone_messages(bridge)[-1]["id"] == sent.id


def test_errors_come_in_metas_shape_and_as_pywas_exceptions(bridge: Bridge) -> None:
    from pywa import errors

    customer_writes(bridge, "halo")
    with pytest.raises(errors.AuthorizationError):
        pywa_for(bridge, token="wrong").send_message(to=CUSTOMER, text="x")
    with pytest.raises(errors.ReEngagementMessage):  # nobody gets a first message before writing
        pywa_for(bridge).send_message(to="6289999999999", text="promo!")
    token = {"Authorization": f"Bearer {bridge.settings.whatsapp_token.get_secret_value()}"}
    r = httpx.post(f"{bridge.url}/v26.0/{PHONE_ID}/messages", headers=token,
                   json={"messaging_product": "whatsapp", "to": CUSTOMER, "type": "sticker", "sticker": {"id": "1"}})
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == 100 and err["type"] == "GraphMethodException" and err["fbtrace_id"]
    assert httpx.get(f"{bridge.url}/v26.0/12345", headers=token).json()["error"]["code"] == 100
    r = httpx.post(f"{bridge.url}/v26.0/999/messages", headers=token, content=b"{}")
    assert r.status_code == 400 and "WHATSAPP_PHONE_ID" in r.json()["error"]["message"]
    r = httpx.post(f"{bridge.url}/v26.0/{PHONE_ID}/messages", headers=token, content=b"{nope")
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


def test_admins_may_get_a_first_message(make_bridge) -> None:  # type: ignore[no-untyped-def]
    bridge = make_bridge(bridge_admin_wa_ids="6285550000001")
    sent = pywa_for(bridge).send_message(to="6285550000001", text="Saldo Atlantic menipis")
    assert phone_messages(bridge, "6285550000001")[-1]["id"] == sent.id


def test_a_request_without_the_bearer_is_refused_before_its_body_is_read(bridge: Bridge) -> None:
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(bridge.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as s:
        s.sendall(f"POST /v26.0/{PHONE_ID}/media HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n"
                  "Content-Type: multipart/form-data; boundary=x\r\n\r\n".encode())
        answer = b""  # no body sent: an answer now means nothing was buffered
        while b"\r\n\r\n" not in answer or b"}}" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 401") and b'"code": 190' in answer
