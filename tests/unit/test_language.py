"""Which language the bot answers in: English only for clearly English messages, Indonesian for
Indonesian and mixed ones, the previous language for messages that say nothing either way."""

from __future__ import annotations

import pytest

from shared.domain.language import detect

ENGLISH = [
    "hi, I want to buy 20k credit for my number",
    "how much is the 10GB telkomsel package?",
    "cancel please",
    "thanks",
    "Thank you so much!",
    "Good morning",
    "can I pay with qris?",
    "what's my balance?",
    "check my order status",
    "I already paid but the token hasn't arrived",
    "do you sell free fire diamonds?",
    "send 50k dana to 081234567890 please",
    "is there a cheaper xl package?",
    "how much is paket 10gb",             # a product word does not make it Indonesian
    "I’m waiting for my receipt",          # a typographic apostrophe
    "Which one is the cheapest?",
    "please top up my ML account 12345678 (1234)",
    "no, send it to my other number",
]

INDONESIAN = [
    "halo kak",
    "mau beli pulsa 20rb dong",
    "berapa harga paket tsel 10gb?",
    "pulsa tsel 25rb ke 081234567890",
    "gak jadi deh",
    "makasih kak",
    "kak mau order token 50rb",
    "cek saldo",
    "yg paling murah aja",
    "tolong isiin 0812 3456 7890",
    "harganya berapa?",
    "Assalamualaikum, ada token listrik?",
    "udah bayar tapi belum masuk",
    "minta struknya dong",
    "sorry salah ketik",                  # one English word, the rest Indonesian
    "thank you kak",                      # mixed: Indonesian
    "ok thanks kak",
    "i want pulsa 20rb kak",
    "nomornya 0857 1234 5678",            # the -nya suffix
]

NEUTRAL = ["ok", "2", "081234567890", "ya", "p", "pulsa 10rb", "BJ7KQ2M9XH", "hi", "cancel", "yes", "top up dana 50rb",
           "paket by.u 10gb", "12345678 (1234)", "👍", "", "  "]


@pytest.mark.parametrize("text", ENGLISH)
def test_clearly_english_messages_are_english(text: str) -> None:
    assert detect(text) == "en"
    assert detect(text, "id") == "en"


@pytest.mark.parametrize("text", INDONESIAN)
def test_indonesian_and_mixed_messages_are_indonesian(text: str) -> None:
    assert detect(text) == "id"
    assert detect(text, "en") == "id"


@pytest.mark.parametrize("text", NEUTRAL)
def test_a_neutral_message_keeps_the_previous_language(text: str) -> None:
    assert detect(text) == "id"  # nothing known before: Indonesian
    assert detect(text, None) == "id"
    assert detect(text, "id") == "id"
    assert detect(text, "en") == "en"


def test_an_unknown_previous_language_reads_as_indonesian() -> None:
    assert detect("ok", "fr") == "id"


def test_case_and_punctuation_do_not_matter() -> None:
    assert detect("HOW MUCH IS THE XL PACKAGE??") == "en"
    assert detect("MAU PULSA DONG!!!") == "id"
