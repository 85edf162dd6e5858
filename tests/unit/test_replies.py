"""What customers read: every text in Indonesian (the default) and English with the same facts,
the right question per product kind, one language bound for a turn with ``words()``."""

from __future__ import annotations

import inspect
import re
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from shared.config import PROJECT_ROOT
from shared.domain import replies
from shared.domain.orders import Order, Payment

MOMENT = datetime(2026, 11, 24, 20, 15, tzinfo=timezone.utc)  # 25 Nov 2026 03:15 WIB
ZONE = "Asia/Jakarta"


def order(**changes: object) -> Order:
    base = Order(order_id=1, ref="BJ7KQ2M9XH", code="T10", name="Telkomsel 10.000", target="082112345678",
                 price=10_500, status="success", category="pulsa", provider="TELKOMSEL", created_at=MOMENT,
                 finished_at=MOMENT, sn="SN123")
    return replace(base, **changes)


def payment(**changes: object) -> Payment:
    base = Payment(payment_id=1, ref="PY7KQ2M9XH", customer_id=1, kind="order", method="QRIS", amount=10_800,
                   fee=300, fee_payer="customer", status="pending", qr_string="000201", expires_at=MOMENT)
    return replace(base, **changes)


ITEMS = {
    "pulsa": {"code": "T10", "name": "Telkomsel 10.000", "price": 10_500, "category": "pulsa", "provider": "TELKOMSEL"},
    "data": {"code": "I10", "name": "Indosat 10 GB", "price": 30_000, "category": "data", "provider": "INDOSAT"},
    "pln": {"code": "PLN50", "name": "Token PLN 50.000", "price": 50_500, "category": "pln", "provider": "PLN"},
    "bill": {"code": "PLNPASCA", "name": "PLN Pascabayar", "price": 2_500, "category": "bill", "provider": "PLN"},
    "ml": {"code": "ML86", "name": "MLBB 86 Diamond", "price": 20_000, "category": "game", "provider": "MOBILE LEGENDS"},
    "ff": {"code": "FF70", "name": "Free Fire 70 Diamond", "price": 10_000, "category": "game", "provider": "FREE FIRE"},
    "pubg": {"code": "PUBG60", "name": "PUBG 60 UC", "price": 15_000, "category": "game", "provider": "PUBG MOBILE"},
    "dana": {"code": "DANA50", "name": "DANA 50.000", "price": 51_000, "category": "ewallet", "provider": "DANA"},
    "ovo": {"code": "OVO50", "name": "OVO 50.000", "price": 51_000, "category": "ewallet", "provider": "OVO"},
}


# -- the package --------------------------------------------------------------------------------

BEFORE_THE_SPLIT = """
CATEGORY_NAMES METHOD_NAMES MONTHS QUOTE_BUTTONS STATUS_NAMES ZONE_NAMES about_bot admin_conflict
admin_escalation admin_low_balance admin_undelivered already_paid alternatives ask_target ask_target_for_request
bad_target balance bill_ask_number bill_not_found bill_quote cancelled cannot_cancel checkout checkout_expired
clarify complaint deposit_amount_needed deposit_ask_phone deposit_out_of_range deposit_received deposit_refused
describe duplicate_warning failed_refunded format_sn greeting help_menu insufficient_saldo late_payment local_time
media_unsupported mutations nothing_found nothing_to_confirm order_status paid_from_saldo pay_hint payment_closed
payment_received payment_waiting price product_gone product_list product_rows qris_out_of_range quote quote_batch
quote_buttons quote_expired receipt rupiah slow_down stale_button stale_list still_processing supplier_busy
technical_problem thanks
""".split()


def test_every_name_callers_knew_is_still_exported() -> None:
    missing = [name for name in BEFORE_THE_SPLIT if not hasattr(replies, name)]
    assert missing == []
    assert set(BEFORE_THE_SPLIT) <= set(replies.__all__)
    assert all(hasattr(replies, name) for name in replies.__all__)


def test_each_topic_module_is_small() -> None:
    sizes = {p.name: len(p.read_text().splitlines()) for p in (PROJECT_ROOT / "shared/domain/replies").glob("*.py")}
    assert {"common.py", "shop.py", "browse.py", "targets.py", "quotes.py", "payments.py", "orders.py",
            "account.py", "admin.py", "__init__.py"} <= set(sizes)
    assert {name: n for name, n in sizes.items() if n > 300} == {}


def test_customer_texts_take_a_keyword_only_language_and_admin_alerts_do_not() -> None:
    for name in ("greeting", "quote_batch", "checkout", "receipt", "ask_target", "quote_buttons", "product_rows",
                 "order_history", "receipt_again", "mutations", "clarify", "off_topic", "operator_mismatch"):
        parameter = inspect.signature(getattr(replies, name)).parameters["lang"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default == "id"
    assert not [n for n in replies.LANG_FUNCTIONS if n.startswith("admin_")]


# -- words() --------------------------------------------------------------------------------------

def test_words_binds_the_language_for_every_customer_text() -> None:
    w = replies.words("en")
    quotes = [order(status="quoted"), order(status="quoted", ref="BJ0000000A", target="081300000000")]
    assert w.quote_batch(quotes, 15, 0) == replies.quote_batch(quotes, 15, 0, lang="en")
    assert w.quote_batch(quotes, 15, 0) != replies.quote_batch(quotes, 15, 0)
    assert w.quote_buttons("BJ1", saldo_covers=True) == replies.quote_buttons("BJ1", saldo_covers=True, lang="en")
    assert w.receipt(order(), zone=ZONE) == replies.receipt(order(), zone=ZONE, lang="en")
    assert w.clarify() == replies.clarify(lang="en")
    assert replies.words("id").clarify() == replies.clarify() == replies.clarify(lang="id")
    assert w.lang == "en" and replies.words("id").lang == "id"


def test_words_passes_constants_and_helpers_through() -> None:
    w = replies.words("en")
    assert w.rupiah is replies.rupiah and w.rupiah(10_000) == "Rp10.000"
    assert w.STATUS_NAMES is replies.STATUS_NAMES and w.QUOTE_BUTTONS is replies.QUOTE_BUTTONS
    assert w.admin_low_balance is replies.admin_low_balance  # admins read Indonesian
    assert w.format_sn("12345678901234567890", "pln") == "1234-5678-9012-3456-7890"
    with pytest.raises(AttributeError):
        w.no_such_reply  # noqa: B018
    assert "quote_batch" in dir(w) and "rupiah" in dir(w)


def test_words_covers_every_function_that_takes_a_language() -> None:
    w = replies.words("en")
    takes_lang = {name for name in replies.__all__ if inspect.isfunction(getattr(replies, name))
                  and getattr(inspect.signature(getattr(replies, name)).parameters.get("lang"), "kind", None)
                  is inspect.Parameter.KEYWORD_ONLY}
    assert takes_lang == set(replies.LANG_FUNCTIONS)
    assert all(getattr(w, name).keywords == {"lang": "en"} for name in takes_lang)


def test_an_unknown_language_reads_as_indonesian() -> None:
    assert replies.words("fr").lang == "id" and replies.words(None).lang == "id"
    assert replies.words("fr").balance(5_000) == replies.balance(5_000)
    assert replies.balance(5_000, lang="xx") == replies.balance(5_000)


# -- both languages carry the same facts ----------------------------------------------------------

def _samples() -> list[tuple[str, tuple, dict]]:
    q = {"category": "data", "provider": "TELKOMSEL", "max_price": 20_000}
    items = [ITEMS["pulsa"], ITEMS["data"]]
    return [
        ("greeting", ("Andi Wijaya", "Toko Pulsa"), {}), ("about_bot", ("Toko Pulsa",), {}),
        ("help_menu", ("Toko Pulsa",), {}), ("product_list", (items, q), {}), ("alternatives", (items, q), {}),
        ("nothing_found", (q,), {}), ("price", (ITEMS["pulsa"],), {}), ("quote", (order(status="quoted"), 15), {}),
        ("quote_batch", ([order(status="quoted")], 15, 50_000), {}),
        ("checkout", (payment(),), {"purpose": "pesanan BJ7KQ2M9XH", "zone": ZONE}),
        ("receipt", (order(),), {"zone": ZONE}), ("failed_refunded", (order(status="refunded", fee_paid=300),), {}),
        ("balance", (75_000,), {}), ("insufficient_saldo", (30_000, 10_000), {}),
        ("paid_from_saldo", ([order(status="paid")], 39_500), {}), ("late_payment", (payment(), ["BJ7KQ2M9XH"], 10_800), {}),
        ("deposit_received", (payment(kind="deposit", credited=50_000), 60_000), {}),
        ("order_status", ([order()], None), {}), ("still_processing", (order(status="processing"),), {}),
        ("qris_out_of_range", ({"amount": 12_000_000, "max": 10_000_000, "min": 1_000}, 0), {}),
        ("deposit_out_of_range", ("DANA", 20_000_000, 10_000, 10_000_000), {}),
    ]


@pytest.mark.parametrize("name, args, kwargs", _samples(), ids=[s[0] for s in _samples()])
def test_english_keeps_every_amount_ref_and_product_name(name: str, args: tuple, kwargs: dict) -> None:
    fn = getattr(replies, name)
    indonesian, english = fn(*args, **kwargs), fn(*args, **kwargs, lang="en")
    assert indonesian == fn(*args, **kwargs, lang="id") != english
    facts = lambda text: (sorted(re.findall(r"Rp[\d.]+", text)), sorted(re.findall(r"(?:BJ|PY)[0-9A-Z]{8}", text)))
    assert facts(english) == facts(indonesian)
    for name in ("*Telkomsel 10.000*", "*Indosat 10 GB*", "*Toko Pulsa*", "Andi", "25 Nov 2026 03:15 WIB"):
        assert (name in english) == (name in indonesian), name
    assert not re.search(r"\b(kak|kakak|ya kak|nggak|aja)\b", english)


def test_english_buttons_and_list_rows() -> None:
    buttons = replies.quote_buttons("BJ1", saldo_covers=True, lang="en")
    assert [b["id"] for b in buttons] == ["qris:BJ1", "saldo:BJ1", "cancel:BJ1"]
    assert [b["title"] for b in buttons] == ["Pay by QRIS", "Use saldo", "Cancel"]
    assert all(len(b["title"]) <= 20 for b in buttons)  # WhatsApp's limit for a button title
    rows = replies.product_rows([ITEMS["pulsa"]], {"category": "pulsa", "provider": "TELKOMSEL"}, lang="en")
    assert rows["rows"] == [{"id": "pick:T10", "title": "Telkomsel 10.000", "description": "Rp10.500"}]
    assert rows["body"] == "Here are the Telkomsel phone credit options. Pick one 😊" and rows["button"] == "See options"
    assert replies.product_rows([ITEMS["pulsa"]], {"category": "pulsa"})["button"] == "Lihat pilihan"


def test_times_in_english_use_english_months() -> None:
    may = datetime(2026, 5, 1, 3, 0, tzinfo=timezone.utc)
    assert replies.local_time(may, ZONE) == "1 Mei 2026 10:00 WIB"
    assert replies.local_time(may, ZONE, lang="en") == "1 May 2026 10:00 WIB"


# -- Order and Payment objects work where mappings did ------------------------------------------

def test_orders_and_payments_are_read_as_objects_or_mappings() -> None:
    o = order(status="refunded", fee_paid=300, failure_reason="ditolak operator")
    as_mapping = {"ref": o.ref, "name": o.name, "target": o.target, "price": o.price, "sn": o.sn, "status": o.status,
                  "category": o.category, "provider": o.provider, "finished_at": o.finished_at,
                  "failure_reason": o.failure_reason, "fee_paid": o.fee_paid}
    for fn in (replies.failed_refunded, replies.still_processing, replies.cancelled, replies.quote_expired):
        assert fn(o) == fn(as_mapping)
    assert replies.receipt(o, zone=ZONE) == replies.receipt(as_mapping, zone=ZONE)
    assert replies.order_status([o], None) == replies.order_status([as_mapping], None)
    p = payment()
    data = {"ref": p.ref, "amount": p.amount, "fee": p.fee, "fee_payer": p.fee_payer, "expires_at": p.expires_at,
            "qr_string": p.qr_string, "url": p.url}
    assert replies.checkout(p, purpose="pesanan BJ1", zone=ZONE) == replies.checkout(data, purpose="pesanan BJ1", zone=ZONE)
    assert replies.checkout_expired(p) == replies.checkout_expired(data)


# -- asking for the right target -------------------------------------------------------------------

def test_pulsa_and_data_ask_for_the_phone_number_as_before() -> None:
    assert replies.ask_target(ITEMS["pulsa"]) == ("Oke kak, *Telkomsel 10.000* (Rp10.500).\n"
                                                  "Nomor HP tujuannya berapa? Kalau untuk nomor ini, balas *nomor ini* aja.")
    assert "phone number" in replies.ask_target(ITEMS["data"], lang="en")
    assert "*this number*" in replies.ask_target(ITEMS["data"], lang="en")


@pytest.mark.parametrize("kind, indonesian, english", [
    ("pln", ["Nomor meter", "ID pelanggan (IDPEL)", "11 digit", "12 digit"], ["meter number", "IDPEL"]),
    ("bill", ["Nomor pelanggan"], ["customer number"]),
    ("ml", ["User ID dan Zone ID (Server)", "_12345678 (1234)_"], ["User ID and Zone ID (Server)", "12345678 (1234)"]),
    ("ff", ["Player ID"], ["Player ID"]),
    ("pubg", ["ID game"], ["game ID"]),
    ("dana", ["nomor HP yang terdaftar di DANA"], ["phone number registered with DANA"]),
    ("ovo", ["terdaftar di OVO"], ["registered with OVO"]),
])
def test_each_product_kind_asks_for_its_own_detail(kind: str, indonesian: list[str], english: list[str]) -> None:
    item = ITEMS[kind]
    said_id, said_en = replies.ask_target(item), replies.ask_target(item, lang="en")
    for text in (said_id, said_en):
        assert f"*{item['name']}*" in text and replies.rupiah(item["price"]) in text
    assert all(w.lower() in said_id.lower() for w in indonesian), said_id
    assert all(w.lower() in said_en.lower() for w in english), said_en
    assert "Nomor HP tujuannya" not in said_id or kind in ("pulsa", "data")


def test_a_suggested_target_is_offered_again() -> None:
    assert "Kirim ke *53211000012* lagi kak? Balas *ya*" in replies.ask_target(ITEMS["pln"], suggested="53211000012")
    assert "*12345678 (1234)* again? Reply *yes*" in replies.ask_target(ITEMS["ml"], suggested="12345678|1234", lang="en")


def test_a_request_without_a_target_asks_by_kind() -> None:
    assert replies.ask_target_for_request({"category": "pulsa", "nominal": 25_000}) == (
        "Siap kak, pulsa 25.000 untuk nomor berapa? 📱 Kalau nomor ini, balas *nomor ini* aja.")
    assert "IDPEL" in replies.ask_target_for_request({"category": "pln", "nominal": 50_000})
    assert "Zone ID" in replies.ask_target_for_request({"category": "game", "provider": "MOBILE LEGENDS"}, lang="en")


def test_a_mobile_legends_id_without_zone_asks_only_for_the_zone() -> None:
    for user_id in ("12345678", "12345678|"):
        said = replies.ask_zone(ITEMS["ml"], user_id)
        assert "*12345678*" in said and "Zone ID (Server)" in said and "_12345678 (1234)_" in said
        assert "User ID dan" not in said  # the user id is not asked again
    english = replies.ask_zone(ITEMS["ml"], "12345678", lang="en")
    assert "Zone ID (Server)" in english and "*12345678*" in english and "*MLBB 86 Diamond*" in english


def test_bad_targets_say_what_a_good_one_looks_like() -> None:
    assert "11 digit" in replies.bad_target(ITEMS["pln"]) and "11 digits" in replies.bad_target(ITEMS["pln"], lang="en")
    assert "_12345678 (1234)_" in replies.bad_target(ITEMS["ml"], lang="en")
    assert "_081234567890_" in replies.bad_target(ITEMS["pulsa"], lang="en")
    assert "pelanggan" in replies.bad_target(ITEMS["bill"]) and "customer number" in replies.bad_target(ITEMS["bill"], lang="en")


def test_an_operator_mismatch_names_both_operators_and_both_ways_out() -> None:
    said = replies.operator_mismatch(ITEMS["data"], "082112345678", "TELKOMSEL")
    assert "*082112345678*" in said and "Telkomsel" in said and "Indosat" in said and "*Indosat 10 GB*" in said
    assert "*ya*" in said and "nomor Indosat yang lain" in said
    english = replies.operator_mismatch(ITEMS["data"], "082112345678", "TELKOMSEL", lang="en")
    assert "Telkomsel number" in english and "is for Indosat" in english and "*yes*" in english
    assert "another Indosat number" in english


# -- target labels in quotes and receipts ---------------------------------------------------------

@pytest.mark.parametrize("kind, target, shown_id, shown_en", [
    ("pulsa", "082112345678", "Nomor: 082112345678", "Number: 082112345678"),
    ("pln", "53211000012", "Nomor meter/IDPEL: 53211000012", "Meter no./IDPEL: 53211000012"),
    ("bill", "532110000123", "No. pelanggan: 532110000123", "Customer no.: 532110000123"),
    ("ml", "12345678|1234", "User ID (Zone): 12345678 (1234)", "User ID (Zone): 12345678 (1234)"),
    ("ff", "123456789", "Player ID: 123456789", "Player ID: 123456789"),
    ("pubg", "5123456789", "ID game: 5123456789", "Game ID: 5123456789"),
    ("dana", "081234567890", "Nomor DANA: 081234567890", "DANA number: 081234567890"),
])
def test_quotes_and_receipts_label_the_target_by_kind(kind: str, target: str, shown_id: str, shown_en: str) -> None:
    item = ITEMS[kind]
    o = order(name=item["name"], price=item["price"], category=item["category"], provider=item["provider"],
              target=target, status="quoted")
    for text in (replies.quote(o, 15), replies.quote_batch([o], 15, 0), replies.receipt(o, zone=ZONE)):
        assert f"\n{shown_id}\n" in text
    for text in (replies.quote(o, 15, lang="en"), replies.quote_batch([o], 15, 0, lang="en"),
                 replies.receipt(o, zone=ZONE, lang="en")):
        assert f"\n{shown_en}\n" in text


def test_a_bill_quote_names_the_customer_number() -> None:
    o = order(name="PLN Pascabayar", category="pln", provider="PLN", kind="pascabayar", target="532110000123",
              price=152_500, bill={"customer_name": "Budi", "periods": ["202611"], "amount": 150_000})
    said = replies.bill_quote(o, 15, 0)
    assert "No. pelanggan: 532110000123" in said and "Admin: Rp2.500" in said and "*Budi*" in said
    english = replies.bill_quote(o, 15, 0, lang="en")
    assert "Customer no.: 532110000123" in english and "Admin fee: Rp2.500" in english and "Total: *Rp152.500*" in english


# -- the shop's manners -----------------------------------------------------------------------------

def test_clarify_offers_examples_and_the_menu() -> None:
    said = replies.clarify()
    assert "belum nangkep" in said and "*menu*" in said
    assert len(re.findall(r"^• _.+_$", said, re.MULTILINE)) == 3
    english = replies.clarify(lang="en")
    assert "*menu*" in english and len(re.findall(r"^• _.+_$", english, re.MULTILINE)) == 3


def test_off_topic_redirects_to_what_we_sell() -> None:
    for text in (replies.off_topic(), replies.off_topic(lang="en")):
        assert len(text) < 250
    assert all(w in replies.off_topic() for w in ("pulsa", "paket data", "token listrik", "e-wallet", "game"))
    assert all(w in replies.off_topic(lang="en") for w in ("credit", "data", "electricity", "e-wallet", "game"))


def test_literals_that_lived_in_the_services_are_here_word_for_word() -> None:
    assert replies.pick_from_list_first() == "Pilih dari daftar dulu ya kak 😊 Mau cari apa? Contoh: _pulsa tsel 25rb_"
    assert replies.choice_out_of_range(5) == "Pilihannya cuma 1 sampai 5 kak 😊"
    assert replies.target_noted_ask_product() == ("Nomornya sudah aku catat kak 😊 Mau isi apa? "
                                                  "Contoh: _pulsa 25rb_ atau _paket data_")
    assert replies.own_number_unreadable() == ("Nomor WA kakak nggak kebaca 🙏 Ketik nomor tujuannya ya, "
                                               "contoh: _081234567890_")
    assert replies.purpose_order(["BJ1", "BJ2"]) == "pesanan BJ1, BJ2"
    assert replies.purpose_deposit(50_000) == "isi saldo Rp50.000"
    assert replies.failure_reason("invalid_target") == "nomor tujuan tidak valid"
    assert replies.failure_reason("anything else") == "ditolak operator"
    assert "1 to 5" in replies.choice_out_of_range(5, lang="en")
    assert replies.purpose_order(["BJ1", "BJ2"], lang="en") == "orders BJ1, BJ2"
    assert replies.purpose_deposit(50_000, lang="en") == "a Rp50.000 saldo top-up"


def test_a_stored_failure_reason_is_translated_for_english_readers() -> None:
    o = order(status="refunded", failure_reason=replies.failure_reason("invalid_target"))
    assert "(nomor tujuan tidak valid)" in replies.failed_refunded(o)
    assert "(the number is not valid)" in replies.failed_refunded(o, lang="en")
    assert "(Atlantic said no)" in replies.failed_refunded(replace(o, failure_reason="Atlantic said no"), lang="en")


# -- history, receipts again, mutations -------------------------------------------------------------

def test_order_history_shows_each_order_with_its_local_time() -> None:
    orders = [order(), order(ref="BJ0000000A", name="XL 5 GB", price=25_000, status="processing",
                             created_at=datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc))]
    said = replies.order_history(orders, zone=ZONE)
    assert said.startswith("Riwayat pesanan terakhir kakak:")
    assert "*Telkomsel 10.000* — Rp10.500" in said and "25 Nov 2026 03:15 WIB · berhasil ✅ · BJ7KQ2M9XH" in said
    assert "*XL 5 GB* — Rp25.000" in said and "23 Nov 2026 08:00 WIB · sedang diproses ⏳ · BJ0000000A" in said
    english = replies.order_history(orders, zone="Asia/Makassar", lang="en")
    assert "25 Nov 2026 04:15 WITA · successful ✅ · BJ7KQ2M9XH" in english and "processing ⏳" in english
    as_json = [{"ref": "BJ1", "name": "Tsel", "price": 1_000, "status": "paid", "created_at": "2026-11-24T20:15:00+00:00"}]
    assert "25 Nov 2026 03:15 WIB · sudah dibayar · BJ1" in replies.order_history(as_json, zone=ZONE)
    assert "\n  sudah dibayar · BJ1\n" in replies.order_history([{**as_json[0], "created_at": None}], zone=ZONE)


def test_no_orders_yet_is_friendly_everywhere() -> None:
    assert replies.order_history([], zone=ZONE) == replies.no_orders_yet() == replies.order_status([], None)
    assert replies.receipt_again(None, zone=ZONE) == replies.no_orders_yet()
    assert "don't have any orders" in replies.no_orders_yet(lang="en")


def test_a_receipt_again_resends_the_finished_order() -> None:
    o = order(category="pln", name="Token PLN 50.000", target="53211000012", sn="12345678901234567890")
    said = replies.receipt_again(o, zone=ZONE)
    for fact in ("struk", "*Token PLN 50.000*", "Nomor meter/IDPEL: 53211000012", "Rp10.500", "BJ7KQ2M9XH",
                 "Token: *1234-5678-9012-3456-7890*", "25 Nov 2026 03:15 WIB"):
        assert fact in said
    english = replies.receipt_again(o, zone=ZONE, lang="en")
    assert "receipt" in english and "Token: *1234-5678-9012-3456-7890*" in english and "Meter no./IDPEL" in english
    assert replies.receipt_again(replace(o, finished_at=None), zone=ZONE).endswith("25 Nov 2026 03:15 WIB")  # created


@pytest.mark.parametrize("status, indonesian, english", [
    ("processing", "masih diproses", "still being processed"),
    ("paid", "masih diproses", "still being processed"),
    ("quoted", "belum dibayar", "isn't paid yet"),
    ("confirmed", "belum dibayar", "isn't paid yet"),
    ("refunded", "gagal", "failed"),
    ("expired", "kedaluwarsa", "expired"),
    ("cancelled", "dibatalkan", "cancelled"),
])
def test_a_receipt_again_for_an_unfinished_order_says_why_there_is_none(status: str, indonesian: str,
                                                                        english: str) -> None:
    o = order(status=status, sn=None)
    said, said_en = replies.receipt_again(o, zone=ZONE), replies.receipt_again(o, zone=ZONE, lang="en")
    assert indonesian in said and "*BJ7KQ2M9XH*" in said and "Berhasil" not in said
    assert english in said_en and "*BJ7KQ2M9XH*" in said_en


def test_mutations_show_when_each_movement_happened() -> None:
    rows = [{"kind": "credit", "amount": 50_000, "note": "QRIS PY7KQ2M9XH", "at": "2026-11-24T20:15:00.123+00:00"},
            {"kind": "debit", "amount": -10_500, "note": "bayar BJ7KQ2M9XH", "at": "2026-11-24T20:20:00+00:00"},
            {"kind": "fee_refund", "amount": 300, "note": None, "at": None}]
    said = replies.mutations(rows, 39_800)
    assert said.splitlines() == ["Saldo kakak *Rp39.800*. Mutasi terakhir:",
                                 "• 25 Nov 2026 03:15 WIB: Masuk Rp50.000 — QRIS PY7KQ2M9XH",
                                 "• 25 Nov 2026 03:20 WIB: Keluar Rp10.500 — bayar BJ7KQ2M9XH",
                                 "• Refund biaya Rp300"]
    english = replies.mutations(rows, 39_800, zone="Asia/Jayapura", lang="en").splitlines()
    assert english[1] == "• 25 Nov 2026 05:15 WIT: In Rp50.000 — QRIS PY7KQ2M9XH"
    assert english[2] == "• 25 Nov 2026 05:20 WIT: Out Rp10.500 — payment BJ7KQ2M9XH"
    assert replies.mutations([{"kind": "credit", "amount": 1_000, "note": "x"}], 1_000) == (
        "Saldo kakak *Rp1.000*. Mutasi terakhir:\n• Masuk Rp1.000 — x")  # rows without times, as before
    assert replies.mutations([], 0, lang="en") == "Your saldo is *Rp0*, no movements yet."


def test_the_quote_follows_the_way_the_customer_asked_to_pay() -> None:
    short = replies.pay_hint(22_700, 0, method="saldo")
    assert "pakai saldo" in short and "kurang Rp22.700" in short and "*QRIS*" in short
    assert "Rp22.700 short" in replies.pay_hint(22_700, 0, method="saldo", lang="en")
    assert "pakai *QRIS*" in replies.pay_hint(10_000, 50_000, method="qris")
    assert replies.pay_hint(10_000, 50_000).startswith("Dibayar dari saldo")
