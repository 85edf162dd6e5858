"""The words customers and Atlantic use for products, in one place (reviewed and extended here).

Everything that maps a word to a canonical value lives here: operators and brands, our
categories, budget and sort cues, Indonesian amount slang, and mobile-number prefixes. Keys are
lower case; multi-word phrases are joined with ``_`` by :func:`join_phrases` before lookup.
"""

from __future__ import annotations

import functools
import re

OPERATORS = ("TELKOMSEL", "INDOSAT", "XL", "AXIS", "TRI", "SMARTFREN")
EWALLETS = ("DANA", "OVO", "GOPAY", "SHOPEEPAY", "LINKAJA")
GAMES = ("MOBILE LEGENDS", "FREE FIRE", "PUBG MOBILE", "GENSHIN IMPACT", "VALORANT", "HIGGS DOMINO")

# word (or joined phrase) → canonical provider
PROVIDER_WORDS: dict[str, str] = {
    **dict.fromkeys(["telkomsel", "tsel", "tsl", "simpati", "kartu_as", "loop", "byu", "by.u", "by_u",
                     "kartu_halo", "telkom"], "TELKOMSEL"),
    **dict.fromkeys(["indosat", "isat", "im3", "ooredoo", "mentari", "matrix"], "INDOSAT"),
    **dict.fromkeys(["xl", "xlsmart", "xl_axiata"], "XL"),
    "axis": "AXIS",
    **dict.fromkeys(["tri", "three", "kartu_3"], "TRI"),
    **dict.fromkeys(["smartfren", "smart", "sf"], "SMARTFREN"),
    "dana": "DANA",
    "ovo": "OVO",
    **dict.fromkeys(["gopay", "go_pay", "gojek"], "GOPAY"),
    **dict.fromkeys(["shopeepay", "shopee_pay", "shopee", "spay"], "SHOPEEPAY"),
    **dict.fromkeys(["linkaja", "link_aja"], "LINKAJA"),
    **dict.fromkeys(["pln", "listrik", "token_listrik", "electricity"], "PLN"),
    **dict.fromkeys(["mobile_legends", "mobile_legend", "mobilelegend", "mobilelegends", "ml", "mlbb"],
                    "MOBILE LEGENDS"),
    **dict.fromkeys(["free_fire", "freefire", "ff"], "FREE FIRE"),
    **dict.fromkeys(["pubg", "pubgm", "pubg_mobile"], "PUBG MOBILE"),
    **dict.fromkeys(["genshin", "genshin_impact"], "GENSHIN IMPACT"),
    **dict.fromkeys(["google_play", "googleplay", "gplay", "play_store", "playstore"], "GOOGLE PLAY"),
    "netflix": "NETFLIX",
    "bpjs": "BPJS",
    "indihome": "INDIHOME",
}

# how Atlantic spells providers → canonical (after upper-casing and squeezing non-alphanumerics)
PROVIDER_SPELLINGS: dict[str, str] = {
    "SHOPEE PAY": "SHOPEEPAY", "SHOPEEPAY": "SHOPEEPAY", "GO PAY": "GOPAY", "GOPAY": "GOPAY",
    "GOJEK": "GOPAY", "LINK AJA": "LINKAJA", "LINKAJA": "LINKAJA", "THREE": "TRI", "3": "TRI",
    "IM3": "INDOSAT", "INDOSAT OOREDOO": "INDOSAT", "BY U": "TELKOMSEL", "BYU": "TELKOMSEL",
    "MOBILELEGEND": "MOBILE LEGENDS", "MOBILE LEGEND": "MOBILE LEGENDS", "MOBILE LEGENDS": "MOBILE LEGENDS",
    "FREEFIRE": "FREE FIRE", "XL AXIATA": "XL", "SMART": "SMARTFREN", "PLN PRABAYAR": "PLN",
    "PLN PASCABAYAR": "PLN", "BPJS KESEHATAN": "BPJS",
}

CATEGORY_WORDS: dict[str, str] = {
    **dict.fromkeys(["pulsa", "pulsah", "isi_ulang", "reguler", "pls", "credit", "airtime", "phone_credit",
                     "mobile_credit"], "pulsa"),
    **dict.fromkeys(["kuota", "quota", "paket", "paketan", "data", "internet", "inet", "paket_data",
                     "paket_internet", "data_plan", "data_package", "internet_package", "package", "packages"], "data"),
    **dict.fromkeys(["ewallet", "e-wallet", "emoney", "e-money", "dompet_digital", "topup", "top_up"], "ewallet"),
    **dict.fromkeys(["token", "kwh", "token_pln", "electricity", "electricity_token", "electric_token"], "pln"),
    **dict.fromkeys(["diamond", "diamonds", "dm", "dms", "game", "games", "topup_game"], "game"),
    **dict.fromkeys(["voucher", "vocer", "voc"], "voucher"),
    **dict.fromkeys(["tagihan", "pascabayar", "pasca", "postpaid", "bayar_tagihan"], "bill"),
}

SORT_WORDS: dict[str, str] = {
    **dict.fromkeys(["murah", "termurah", "paling_murah", "hemat", "murmer", "cheapest", "cheap", "cheaper"],
                    "price_asc"),
    **dict.fromkeys(["mahal", "termahal", "paling_mahal", "most_expensive"], "price_desc"),
}

BUDGET_WORDS = frozenset({
    "budget", "bujet", "budjet", "modal", "cuma", "cuman", "hanya", "punya", "di_bawah", "dibawah", "bawah",
    "under", "kurang_dari", "max", "maks", "maksimal", "maximal", "ga_lebih", "gak_lebih", "nggak_lebih",
    "tidak_lebih", "sampai", "sampe", "paling_banyak", "uang", "uangnya", "duit", "below", "less_than",
    "at_most", "up_to",
})

# slang amounts (ppob-domain): seceng 1.000 ... cetiao 1.000.000
SLANG_AMOUNTS: dict[str, int] = {
    "seceng": 1_000, "noceng": 2_000, "goceng": 5_000, "ceban": 10_000, "goban": 50_000,
    "cepek_ceng": 100_000, "cepekceng": 100_000, "cetiao": 1_000_000,
}

MULTIPLIERS: dict[str, int] = {
    "rb": 1_000, "ribu": 1_000, "rebu": 1_000, "k": 1_000, "rbu": 1_000,
    "jt": 1_000_000, "juta": 1_000_000, "jeti": 1_000_000,
}

QUOTA_UNITS = {"gb": 1.0, "giga": 1.0, "mb": 0.001}
VALIDITY_UNITS = {"hari": 1, "hr": 1, "day": 1, "days": 1, "minggu": 7, "bulan": 30, "bln": 30, "week": 7,
                  "weeks": 7, "month": 30, "months": 30}
# a validity said in one word ("paket tsel sebulan"): at least this many days
VALIDITY_WORDS = {"sebulan": 30, "bulanan": 30, "sebulanan": 30, "seminggu": 7, "mingguan": 7, "setahun": 365,
                  "monthly": 30, "weekly": 7, "harian": 1, "sehari": 1, "daily": 1}
ITEM_UNITS = frozenset({"diamond", "diamonds", "dm", "dms", "uc", "gems"})

# chat words that are never "corrected" into product words (ada → dana would be a disaster)
STOPWORDS = frozenset("""
ada aja aj ya yg yang mau mo pengen ingin beli order pesan ambil kak ka kakak min admin gan sis bro
dong deh donk sih nih kah ga gak nggak ngga enggak tidak tdk buat untuk utk ke di dan sama sm atau
berapa brp harga hrg ini itu nomor nomer no tolong isi isiin cek ready apa aku saya gue gw ku kamu
lagi lg yah kok kan tapi tp juga jg boleh bisa dari yang mana berapaan list daftar info ok oke
harganya pake pakai via bayar jual punya cari nyari adakah tersedia stok stock i want to for my the a an
please pls buy need get me is how much do you have what send goreng gorengan resep masak makan nasi
mie bola main""".split())

# mobile prefixes (ppob-domain): 5-digit ones first
PREFIXES: list[tuple[str, str]] = [
    ("08591", "AXIS"), ("08598", "AXIS"),
    *[(p, "TELKOMSEL") for p in ("0811", "0812", "0813", "0821", "0822", "0823", "0851", "0852", "0853")],
    *[(p, "INDOSAT") for p in ("0814", "0815", "0816", "0855", "0856", "0857", "0858")],
    *[(p, "TRI") for p in ("0895", "0896", "0897", "0898", "0899")],
    *[(p, "XL") for p in ("0817", "0818", "0819", "0859", "0877", "0878", "0879")],
    *[(p, "AXIS") for p in ("0831", "0832", "0833", "0838")],
    *[(f"088{d}", "SMARTFREN") for d in "123456789"],
]

_PHRASES = sorted(
    {k for table in (PROVIDER_WORDS, CATEGORY_WORDS, SORT_WORDS, SLANG_AMOUNTS) for k in table if "_" in k}
    | {w for w in BUDGET_WORDS if "_" in w},
    key=len, reverse=True,
)
_PHRASE_RE = re.compile(r"\b(" + "|".join(re.escape(p.replace("_", " ")) for p in _PHRASES) + r")\b")


def join_phrases(text: str) -> str:
    """``"di bawah 20rb free fire"`` → ``"di_bawah 20rb free_fire"`` (longest phrases first)."""
    return _PHRASE_RE.sub(lambda m: m.group(1).replace(" ", "_"), text)


def provider_from_phone(number: str) -> str | None:
    """The default operator of an ``08…`` number (ported numbers exist: a hint, not a fact)."""
    for prefix, operator in PREFIXES:
        if number.startswith(prefix):
            return operator
    return None


@functools.lru_cache(maxsize=2048)  # a price list repeats a few dozen spellings 100,000 times
def canonical_provider(raw: str) -> str:
    """Atlantic's provider spelling → ours: ``"SHOPEE PAY"``, ``"LinkAja"`` → ``SHOPEEPAY``, ``LINKAJA``."""
    cleaned = re.sub(r"[^A-Z0-9]+", " ", (raw or "").upper()).strip()
    return PROVIDER_SPELLINGS.get(cleaned, cleaned or "OTHER")


# every single word the query parser knows, for typo correction (sorted: corrections are stable)
VOCABULARY: tuple[str, ...] = tuple(sorted(
    {w for table in (PROVIDER_WORDS, CATEGORY_WORDS, SORT_WORDS, SLANG_AMOUNTS, MULTIPLIERS, QUOTA_UNITS,
                     VALIDITY_UNITS, VALIDITY_WORDS) for w in table if "_" not in w and len(w) >= 3}
    | {w for w in BUDGET_WORDS | ITEM_UNITS if "_" not in w and len(w) >= 3}
))
