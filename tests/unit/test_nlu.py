"""The rule-based understanding on how customers write (ppob-domain examples and more), and the
``python -m shared nlu`` contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import get_args

import pytest

from shared.config import PROJECT_ROOT
from shared.domain.nlu import Intent, burst_intent, opens_with_salam, requests, understand

CASES = [
    ("halo min", "greeting", {}),
    ("pulsa 10rb", "buy", {"category": "pulsa", "nominal": 10000}),
    ("isi pulsa tsel 25k ke 081234567890", "buy",
     {"category": "pulsa", "provider": "TELKOMSEL", "nominal": 25000, "target": "081234567890"}),
    ("0857 1234 5678 tolong isiin 20rb", "buy",
     {"category": "pulsa", "provider": "INDOSAT", "nominal": 20000, "target": "085712345678"}),
    ("+62 812-3456-7890 pulsa goceng", "buy",
     {"category": "pulsa", "provider": "TELKOMSEL", "nominal": 5000, "target": "081234567890"}),
    ("kak harga pulsa isat 50rb brp ya", "price_check", {"category": "pulsa", "provider": "INDOSAT", "nominal": 50000}),
    ("beli kuota xl 10gb", "buy", {"category": "data", "provider": "XL", "quota_gb": 10}),
    ("ada paket murah ga buat tsel di bawah 20rb?", "search",
     {"category": "data", "provider": "TELKOMSEL", "max_price": 20000, "sort": "price_asc"}),
    ("yang paling murah", "search", {"sort": "price_asc"}),
    ("token listrik 50 ribu", "buy", {"category": "pln", "provider": "PLN", "nominal": 50000}),
    ("topup dana 100k", "buy", {"category": "ewallet", "provider": "DANA", "nominal": 100000}),
    ("dana 20rb ke 0878 1234 5678", "buy",
     {"category": "ewallet", "provider": "DANA", "nominal": 20000, "target": "087812345678"}),
    ("status trx bj7kq2-m9xh", "check_status", {"ref": "BJ7KQ2M9XH"}),
    ("pesanan BJOKQ2M9XH gimana", "check_status", {"ref": "BJ0KQ2M9XH"}),
    ("pulsa gagal tapi saldo kepotong", "complaint", {"category": "pulsa"}),
    ("depo 500rb via qris", "deposit", {"nominal": 500000, "method": "QRIS"}),
    ("ya", "confirm", {}),
    ("iya kak lanjut", "confirm", {}),
    ("2", "buy", {"choice": 2}),
    ("yang 3 aja kak", "buy", {"choice": 3}),
    ("cek saldo", "balance", {}),
    ("batalin aja", "cancel", {}),
    ("gak jadi kak", "cancel", {}),
    ("nomor ini aja", "buy", {"target": "self"}),
    ("ke nomor saya", "buy", {"target": "self"}),
    ("ml 86 diamond 69827740 (2126)", "buy",
     {"category": "game", "provider": "MOBILE LEGENDS", "units": 86, "target": "69827740|2126"}),
    ("69827740/2126", "buy", {"target": "69827740|2126"}),
    ("tokn listrk 100rb 53211000012", "buy",
     {"category": "pln", "provider": "PLN", "nominal": 100000, "target": "53211000012"}),
    ("cek tagihan bpjs 8888801234567", "bill_check", {"category": "bill", "provider": "BPJS", "target": "8888801234567"}),
    ("gimana cara beli?", "help", {}),
    ("beli voucher google play 50rb 2x", "buy",
     {"category": "voucher", "provider": "GOOGLE PLAY", "nominal": 50000, "quantity": 2}),
    ("kuta xl 5gb murh aj", "search", {"category": "data", "provider": "XL", "quota_gb": 5, "sort": "price_asc"}),
    ("paket indosat 30 hari", "search", {"category": "data", "provider": "INDOSAT", "validity_days": 30}),
    ("pulsa 3 20rb", "buy", {"category": "pulsa", "provider": "TRI", "nominal": 20000}),
    ("apa kabar", "greeting", {}),
    # a list row by its ordinal; the last one is -1
    ("oke yang pertama", "buy", {"choice": 1}),
    ("the second one", "buy", {"choice": 2}),
    ("yang terakhir aja", "buy", {"choice": -1}),
    # a number that ran on into the amount is still the number
    ("isi pulsa ke 081234567890 25rb", "buy",
     {"category": "pulsa", "provider": "TELKOMSEL", "nominal": 25000, "target": "081234567890"}),
    # a Mobile Legends id and zone in the ways customers write them
    ("id 55667788 server 2211", "buy", {"target": "55667788|2211"}),
    ("ID: 12345678 Zone: 1234", "buy", {"target": "12345678|1234"}),
    ("ml 86 diamond id 12345678 server 2126", "buy",
     {"category": "game", "provider": "MOBILE LEGENDS", "units": 86, "target": "12345678|2126"}),
    ("081234567890 25000", "buy",
     {"category": "pulsa", "provider": "TELKOMSEL", "nominal": 25000, "target": "081234567890"}),
    # several requests: the first one's understanding (the flows read each, see requests())
    ("token 20rb ke meter 53211000012 terus pulsa xl 5rb ke 087812345678", "buy",
     {"category": "pln", "provider": "PLN", "nominal": 20000, "target": "53211000012"}),
    # the operator of another number in the message is not this one's
    ("pulsa 10rb ke 081234567890 sama 085712345678", "buy",
     {"category": "pulsa", "provider": "TELKOMSEL", "nominal": 10000, "target": "081234567890"}),
    ("minta struknya dong", "receipt", {}),
    ("riwayat", "check_status", {"history": True}),
    ("udh masuk blm kak", "check_status", {}),
    ("gajadi deh kak", "cancel", {}),
    ("ntar aja ya kak", "cancel", {}),
    ("gaskeun", "confirm", {}),
    ("kamu siapa?", "about", {}),
    ("siapa yang menang bola tadi malam?", "other", {"off_topic": True}),
    ("i want to buy 20k credit for 081234567890", "buy",
     {"category": "pulsa", "provider": "TELKOMSEL", "nominal": 20000, "target": "081234567890"}),
    ("i want to top up a 50k electricity token for meter 53211000012", "buy",
     {"category": "pln", "provider": "PLN", "nominal": 50000, "target": "53211000012"}),
    ("thank you so much", "thanks", {}),
]


@pytest.mark.parametrize("text, intent, slots", CASES, ids=[c[0] for c in CASES])
def test_understanding(text: str, intent: str, slots: dict) -> None:
    result = understand(text).as_json()
    assert result == {"intent": intent, "slots": slots}
    assert result["intent"] in get_args(Intent)


def test_money_slots_are_integers_and_targets_keep_leading_zeros() -> None:
    slots = understand("isi pulsa xl 1,5jt ke 087812345678").slots
    assert slots["nominal"] == 1_500_000 and isinstance(slots["nominal"], int)
    assert slots["target"] == "087812345678"


def test_cli_prints_only_the_json_and_touches_no_database_or_network() -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": "postgresql://nobody@10.255.255.1:5/none",
           "REDIS_URL": "redis://10.255.255.1:6/0"}
    run = subprocess.run([sys.executable, "-m", "shared", "nlu", "0857 1234 5678 tolong isiin 20rb", "--json"],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"intent": "buy", "slots": {
        "category": "pulsa", "provider": "INDOSAT", "nominal": 20000, "target": "085712345678"}}
    assert run.stdout.count("\n") == 1


def test_several_requests_are_split_and_each_keeps_its_target() -> None:
    parts = requests("dana 50rb ke 081234567890, ff 70 diamond id 123456789")
    assert [(u.slots.get("provider"), u.slots.get("target")) for u in parts] == [
        ("DANA", "081234567890"), ("FREE FIRE", "123456789")]
    assert len(requests("isi pulsa xl 1,5jt ke 087812345678")) == 1  # a decimal comma splits nothing


def test_a_burst_is_decided_by_its_confirmation_or_cancel_line() -> None:
    assert burst_intent("ya\nmakasih kak") == "confirm"
    assert burst_intent("p\np\nbatal aja") == "cancel"
    assert burst_intent("ya\nga jadi deh") is None  # both: nothing is decided for the customer
    assert burst_intent("ya") is None
    assert opens_with_salam("assalamualaikum kak\npulsa tsel 10rb") and not opens_with_salam("pulsa tsel 10rb")


def test_requests_split_on_a_bare_dan_and_after_each_target() -> None:
    def kinds(text: str) -> list[tuple[str | None, str | None]]:
        return [(u.slots.get("provider"), u.slots.get("target")) for u in requests(text)]

    assert kinds("pulsa tsel 5rb 081311110009 dan token 20rb 53211000012") == [
        ("TELKOMSEL", "081311110009"), ("PLN", "53211000012")]
    assert kinds("pulsa tri 5rb 089612340000, dana 10rb 081211110000") == [
        ("TRI", "089612340000"), ("DANA", "081211110000")]  # the "dan" of "dana" is no connector
    assert kinds("pulsa tri 5rb 089612340000 dana 10rb 081211110000 token 20rb 53211000012") == [
        ("TRI", "089612340000"), ("DANA", "081211110000"), ("PLN", "53211000012")]
    assert len(requests("ml 86 diamond 12345678 2126")) == 1
    assert understand("the cheapest one").slots == {"sort": "price_asc"}
