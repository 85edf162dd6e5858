"""Rule-based understanding: one customer message → an intent and slots (pure, no I/O).

It is the pre-router for obvious messages (``ya``, ``2``, ``cek saldo`` never reach a model), the
fallback when no model is available, and the brain of the demo without a key. Product slots come
from :mod:`shared.domain.search`; targets from :mod:`shared.domain.targets`.

Intents: greeting, search, price_check, buy, confirm, cancel, check_status, balance, deposit,
bill_check, complaint, help, about (is this a bot?), thanks, receipt ("minta struknya"), other.
Slots (absent ones omitted): category, provider, nominal, max_price, target, quota_gb,
validity_days, units, quantity, method, ref — plus ``choice`` (a list item picked by number),
``sort`` (``price_asc``/``price_desc``) for follow-ups, ``salam`` (a greeting with the Islamic
salam, answered in kind), ``history`` ("riwayat": the list of orders, not one status), ``pay``
(``saldo`` | ``qris``: how to pay what is quoted, "pake saldo aja") and ``off_topic`` (a question
outside the shop).

A message can hold several requests ("token 20rb ke meter A terus pulsa xl 5rb ke B"):
:func:`requests` splits it; :func:`said_by` reduces an understanding to what it said about the
request frame (:mod:`shared.domain.frame`), leaving out what was only inferred (the operator of a
number is a hint, not something the customer asked for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from shared.domain import targets, vocab
from shared.domain.frame import Said
from shared.domain.orders import normalize_ref
from shared.domain.search import SearchQuery, parse_query

Intent = Literal["greeting", "search", "price_check", "buy", "confirm", "cancel", "check_status", "balance",
                 "deposit", "bill_check", "complaint", "help", "about", "thanks", "receipt", "other"]

_FILLER_WORDS = "kak|ka|kk|min|mas|mba|mbak|gan|sis|bro|bang|dong|deh|ya|yah|aja|aj|sih|nih|bos|boss|om"
_FILLER = rf"(?:{_FILLER_WORDS}|\s)*"


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b")


_CONFIRM_WORDS = (r"ya+|iya+|iy|y|yes|yup|ok+|oke+|okey|okay|sip+|siap|gas+|gaskeun|gass+keun|gaskan|cus+|kuy|"
                  r"lanjut+|lanjutkan|jadi|betul|benar|ambil|ambil aja|ambil deh|yaudah|ya udah|udah itu aja|"
                  r"bener|setuju|boleh|mau|confirm|konfirmasi|deal|proses|bayar|sure|go ahead|yes please|please|proceed|okey dokey|"
                  r"of course|alright|all right|go|ok go|let'?s go|gaskan|hayuk|ayo|yuk")
CONFIRM = re.compile(rf"^{_FILLER}(?:(?:{_CONFIRM_WORDS})\b[\s.!,👍🙏]*{_FILLER})+[\s.!?,👍🙏]*$")
CANCEL = _words("batal", "batalin", "batalkan", "cancel", "ga jadi", "gak jadi", "nggak jadi", "ngga jadi",
                "gajadi", "gak jd", "ga jd", "gk jd", "gkjd", "gjd", "nggak jd", "tidak jd",
                "enggak jadi", "tidak jadi", "gk jadi", "g jadi", "tdk jadi", "ngak jadi", "cancel it",
                "don't want it", "dont want it")
# "not now" said alone: a cancel only when that is the whole message ("ga usah struk" is not one)
SOFT_CANCEL = re.compile(rf"^{_FILLER}(?:nanti aja|nanti dulu|nanti deh|ntar aja|ntar dulu|ntar deh|entar aja|"
                         rf"nanti ya|ntar ya|skip|skip dulu|skip aja|ga usah|gak usah|"
                         rf"nggak usah|ngga usah|gk usah|tidak usah|ga dulu|gak dulu|nggak dulu|belum dulu|"
                         rf"lain kali aja|lain kali|never ?mind|no thanks)\b{_FILLER}[\s.!🙏]*$")
COMPLAINT = _words("gagal", "belum masuk", "blm masuk", "belom masuk", "ga masuk", "gak masuk", "tidak masuk",
                   "nggak masuk", "gk masuk", "kepotong", "terpotong", "komplain", "complain", "refund",
                   "uang kembali", "balikin", "ditipu", "penipu", "tipu", "salah kirim", "error", "kok lama",
                   "lama banget", "kecewa", "hilang", "ga sampai", "belum sampai", "tidak sampai", "lama amat",
                   "lama bgt", "kok belum", "not received", "haven't received", "havent received",
                   "didn't arrive", "didnt arrive", "not arrived", "hasn't arrived", "still not", "taking so long")
STATUS = _words("status", "cek pesanan", "cek order", "cek orderan", "cek trx", "cek transaksi", "pesanan saya",
                "pesananku", "orderan", "orderanku", "riwayat", "history", "sudah diproses", "udah diproses",
                "udah masuk belum", "sudah masuk belum", "lacak", "udah masuk blm", "udh masuk belum", "dah masuk belum",
                "sudah dikirim belum", "udah dikirim belum", "order status", "my order", "my orders",
                "where is my order", "track", "order history", "transaksi saya", "transaksiku", "udh masuk blm",
                "udah masuk blm", "sdh masuk blm", "dah masuk blm", "udh masuk belum", "udah masuk apa belum",
                "sudah sampai belum", "udah sampe belum", "udh sampe blm", "udah bayar", "sudah bayar", "udh bayar",
                "udah aku bayar", "sudah saya bayar", "udah ku bayar", "already paid", "i paid", "did it go through")
DEPOSIT = _words("depo", "deposit", "depot", "topup saldo", "top up saldo", "top_up saldo", "isi saldo",
                 "tambah saldo", "isi deposit", "ngisi saldo")
BALANCE = re.compile(r"\bsaldo\b|\bmutasi\b|\bbalance\b")
BALANCE_CUE = _words("cek", "berapa", "brp", "sisa", "saya", "ku", "aku", "info", "lihat", "liat", "gue", "gw",
                     "mutasi", "riwayat", "histori", "history", "check", "my", "how much", "what")
BILL = _words("tagihan", "cek tagihan", "bayar tagihan", "pascabayar", "pasca", "bpjs", "pdam", "indihome",
              "postpaid", "tagihan_pln", "bayar_tagihan")
HELP = _words("help", "bantuan", "menu", "cara beli", "cara order", "cara pesan", "gimana cara", "bagaimana cara",
              "bisa apa", "caranya", "panduan", "tutorial", "cs", "admin", "jual apa", "jualan apa", "jual apa aja",
              "apa aja yang dijual", "apa saja yang dijual", "produk apa", "produknya apa", "bisa beli apa",
              "ada apa aja", "ada apa saja", "what do you sell", "what can you do", "how to buy", "how do i",
              "what can i buy", "how does this work", "cara bayar", "bayarnya gimana", "bayar gimana",
              "bayar pakai apa", "bayar pake apa", "how do i pay", "how to pay", "payment method")
GREETING = _words("halo+", "hal+o", "hai+", "hi+", "hello", "helo", "pagi", "siang", "sore", "malam", "malem",
                  "assalamualaikum", "assalamu'alaikum", "asalamualaikum", "salam", "permisi",
                  "selamat pagi", "selamat siang", "selamat sore", "selamat malam", "hey", "woi", "apa kabar",
                  "apa kabarnya", "gimana kabarnya", "how are you", "good morning", "good afternoon",
                  "good evening")
ACK = re.compile(rf"^{_FILLER}(?:mantap+|mantul|mantab|joss?|keren|nice|great|cool|good|wokeh|okeh)\b{_FILLER}[\s.!👍🙏😊🔥]*$")
THANKS_WORD = re.compile(r"\b(?:makasih+|makasi+|mksh|terima ?kasih+|thanks|thank you|thx)\b")
THANKS_FIRST = re.compile(r"^(?:makasih+|makasi+|mksh|terima ?kasih+|trims|thanks?|thank you|thx|tq)\b")
THANKS = re.compile(rf"^{_FILLER}(?:(?:oh+|o+|wah+|wih+|ok[e]?|oke+|sip+|siap|baik|mantap)\s+)*(?:makasih+|makasi+|mksh|makasih banyak|terima ?kasih+|trims|"
                    rf"thank you so much|thank you very much|thanks a lot|thanks so much|many thanks|"
                    rf"thanks?|thank you|thx|tq|ty|suwun|matur nuwun|nuhun)\b(?:{_FILLER}|banyak|ya+|yaa+|[\s.!🙏😊👍])*$")
SALAM = _words("assalamualaikum", "assalamu'alaikum", "asalamualaikum", "assalamu alaikum", "assalamualaikum wr wb",
               "salamualaikum", "samlekom", "ass?alam", "aslm")
ABOUT = _words("bot", "robot", "chatbot", "orang asli", "manusia", "sama orang", "ini orang", "ada orang",
               "kamu siapa", "anda siapa", "siapa kamu", "siapa ini", "ini siapa", "who are you", "who is this",
               "buka 24 jam", "24 jam", "jam buka", "jam berapa buka", "open 24",
               "beneran orang", "are you a bot", "are you human")
CALL_ONLY = re.compile(rf"^(?:(?:p|admin|{_FILLER_WORDS})\b\s*)+[.!?]*$")  # "kak", "p", "min?"
PRICE = _words("harga", "hrg", "berapa", "brp", "berapaan", "price", "harganya", "pricelist", "price list",
               "how much", "cost", "costs")
BUY = _words("beli", "order", "pesan", "ambil", "isi", "isiin", "topup", "top up", "top_up", "belikan", "beliin",
             "mau", "minta", "kirim", "tolong", "checkout", "co", "buy", "want", "need", "purchase", "get me",
             "i'd like", "id like", "send")
BROWSE = _words("ada", "apa aja", "apa saja", "list", "daftar", "pilihan", "murah", "paling murah", "termurah",
                "paket", "promo", "rekomendasi", "cari", "do you have", "show me", "options", "cheapest", "cheap")
FOLLOW_UP_SORT = re.compile(r"^(?:yang|yg|the)?\s*(?:paling|lebih|lbh)?\s*(murah|termurah|mahal|termahal|cheapest|"
                            r"cheaper|most expensive)\b")
RECEIPT = _words("struk", "struknya", "strukny", "bukti", "buktinya", "bukti bayar", "bukti transaksi", "nota",
                 "notanya", "invoice", "receipt", "kirim ulang sn", "sn nya", "sn-nya", "snnya", "tokennya lagi")
# "tokennya apa ya kak tadi, kehapus chatnya": the token of the last order again, not a new one
RECEIPT_AGAIN = re.compile(r"\b(?:token|sn|struk|kode)\w*\b.*\b(?:tadi|kehapus|terhapus|hilang|ilang|lupa|ulang|"
                           r"again|lost|deleted)\b|\bkirim ulang\b|\bkehapus\b|\bterhapus\b")
HISTORY = _words("riwayat", "histori", "history", "transaksi saya", "transaksiku", "order history", "my orders",
                 "pesanan saya", "pesananku", "orderanku")
# a question about something we do not sell (weather, football, homework): a friendly redirect
QUESTION = re.compile(r"\?\s*$|^(?:apa|apakah|siapa|kapan|dimana|di mana|kenapa|mengapa|gimana|bagaimana|berapa|"
                      r"what|who|when|where|why|how|is|are|can|do|does)\b")
# connectors between several requests in one message
SPLIT = re.compile(r"\s*(?:\n+|;|,(?!\d)\s*(?:(?:terus|trus|lalu|sama|dan|and|then|plus)\b)?|\b(?:terus|trus|lalu|"
                   r"habis itu|abis itu|sama|and then|then|plus|dan juga|juga|dan|and)\b)\s*")
AMENDS = re.compile(r"^\s*(?:eh+|ehh|oh|eits|ralat|salah|maaf)\b|\b(?:ganti|gnti|ubah|jadi(?:in)?|aja|aj|saja|deh|instead|"
                    r"change|make it)\b|^\s*(?:yang|yg)\b")
PAY_WITH = re.compile(r"\b(?:pakai|pake|pk|bayar|bayarnya|via|pay with|pay by|use|using)\s+(?:my\s+)?(saldo|balance|qris|qr)\b")
MORE = _words("sekalian", "juga", "tambah", "tambahin", "plus", "also", "satu lagi")
CHOICE = re.compile(
    rf"^{_FILLER}(?:(?:oke+|ok|sip|ya)\b[\s,]*)?(?:yang|yg|no|nomor|nomer|pilih|ambil|mau|number|option|the)?\s*"
    rf"(?:yang|yg)?\s*(?:no\.?|nomor|nomer|nmr|number|ke-?)?\s*#?"
    rf"(\d{{1,4}})(?:\s*(?:aja|ya|kak|deh|dong|min|saja|kk|ka|please|pls))*\s*[.!]*$")
ORDINALS = {"pertama": 1, "kesatu": 1, "satu": 1, "kedua": 2, "dua": 2, "ketiga": 3, "tiga": 3, "keempat": 4,
            "empat": 4, "kelima": 5, "lima": 5, "keenam": 6, "ketujuh": 7, "kedelapan": 8, "first": 1, "second": 2,
            "third": 3, "fourth": 4, "fifth": 5, "terakhir": -1, "last": -1, "paling bawah": -1, "paling atas": 1}
ORDINAL = re.compile(
    rf"^{_FILLER}(?:(?:oke+|ok|sip|ya|yes|iya)\b[\s,]*)?(?:yang|yg|the|pilih|ambil|mau|nomor|no)?\s*(?:yang|yg)?\s*"
    rf"({'|'.join(sorted(ORDINALS, key=len, reverse=True))})(?:\s*(?:one|aja|ya|kak|deh|dong|min|saja|kk|ka|please))*"
    rf"\s*[.!]*$")
CHOICE_IN = re.compile(rf"\b(?:yang|yg|no|nomor|nomer|pilih)\s*(?:ke-?|no\.?|nomor)?\s*"
                       rf"({'|'.join(sorted(ORDINALS, key=len, reverse=True))}|\d{{1,2}})\b(?!\s*(?:rb|ribu|k|gb|giga)\b)")
GAME_ID_ONLY = re.compile(r"^\s*(?:id\s*)?(\d{5,12})\s*(?:\(|\||/|\s)\s*(\d{3,5})\s*\)?\s*$")
# our references (BJ7KQ2M9XH), typed back in any case, maybe split in two ("bj7kq2-m9xh")
REF = re.compile(r"\b((?:bj|py)[\s-]?[0-9a-z]{4}[\s-]?[0-9a-z]{4})\b", re.IGNORECASE)
QUANTITY = re.compile(r"\b(\d{1,2})\s*(?:x|kali|pcs|buah|biji)\b")
METHODS = {"qris": "QRIS", "va": "VA", "bca": "BCA", "bri": "BRI", "mandiri": "MANDIRI", "bni": "BNI",
           "dana": "DANA", "ovo": "OVO", "gopay": "GOPAY", "shopeepay": "SHOPEEPAY", "linkaja": "LINKAJA",
           "transfer": "BANK", "bank": "BANK"}


@dataclass(frozen=True)
class Understanding:
    intent: Intent
    slots: dict[str, Any] = field(default_factory=dict)
    query: SearchQuery = field(default_factory=SearchQuery)
    inferred: frozenset[str] = frozenset()  # slots not said but inferred (the operator of a number)

    def as_json(self) -> dict[str, Any]:
        return {"intent": self.intent, "slots": self.slots}


def _number(value: Any) -> Any:
    return int(value) if value == int(value) else float(value)


def strip_target(text: str, target: str | None) -> str:
    """Remove the target's digits from ``text`` so they are not read as amounts."""
    if not target or target == targets.SELF:
        return text
    if "|" in target:  # a Mobile Legends id and its zone, maybe written apart ("id 123 server 45")
        for part in target.split("|"):
            text = strip_target(text, part) if part else text
        return re.sub(r"\b(?:user ?id|id|zone ?id|zona|zone|server|srv|sv)\b\s*:?", " ", text)
    digits = re.sub(r"\D", "", target)
    pattern = r"[\s\-.()|/+]*".join(re.escape(d) for d in digits)
    text = re.sub(pattern, " ", text, count=1)
    if target.startswith("08"):
        text = re.sub(r"[\s\-.()|/+]*".join(re.escape(d) for d in "62" + digits[1:]), " ", text, count=1)
    return text


def understand(text: str) -> Understanding:
    """The message's intent and slots; of a message with several requests, the first one's."""
    return requests(text)[0]


def _understand(text: str) -> Understanding:
    raw = (text or "").strip()
    lowered = re.sub(r"\s+", " ", raw.lower())
    slots: dict[str, Any] = {}

    ref = REF.search(raw)
    if ref and not re.fullmatch(r"\d+", ref.group(1)):
        slots["ref"] = normalize_ref(ref.group(1))
        lowered = lowered.replace(ref.group(1).lower(), " ")
        raw = raw.replace(ref.group(1), " ")

    game_id = GAME_ID_ONLY.match(lowered)
    if game_id and (len(game_id.group(1)) > 10 or targets.find_phones(raw)):
        game_id = None  # a phone or a meter and an amount ("081234567890 25000"), not a game id and zone
    ml = (targets.find_target(raw, category="game", provider="MOBILE LEGENDS")
          if not game_id and not targets.find_phones(raw) else None)
    if game_id or (ml and not ml.endswith("|") and len(ml.split("|")[0]) <= 10 and not re.sub(rf"[^a-z]|\b(?:{_FILLER_WORDS}|user)\b", "",
                                                                strip_target(lowered, ml))):
        # "69827740 (2126)", "id 12345678 server 2126": a Mobile Legends user id and zone id, not an amount
        both = f"{game_id.group(1)}|{game_id.group(2)}" if game_id else ml
        return Understanding("buy", {"target": both}, SearchQuery(target=both))
    choice = CHOICE.match(lowered)
    if choice and int(choice.group(1)) >= 1:  # a row; a larger one is read by the flows as an amount
        return Understanding("buy", {"choice": int(choice.group(1))})
    ordinal = ORDINAL.match(lowered)
    if ordinal:  # "oke yang pertama", "the second one"; -1 is the last row
        return Understanding("buy", {"choice": ORDINALS[ordinal.group(1)]})
    if CONFIRM.match(lowered):
        return Understanding("confirm", {})
    if THANKS.match(lowered) or ACK.match(lowered):
        return Understanding("thanks", {})
    if (THANKS_FIRST.match(lowered) or THANKS_WORD.search(lowered)) and not COMPLAINT.search(lowered) \
            and "belum" not in lowered and not BUY.search(lowered) and not targets.find_phones(raw):
        return Understanding("thanks", {})  # "makasih kak, udah masuk pulsanya"

    # products first, then the target with what they tell us, then products again without it
    first = parse_query(lowered)
    target = targets.find_target(raw, category=first.category, provider=first.provider)
    query = parse_query(strip_target(lowered, target)) if target else first
    said_provider = parse_query(targets.strip_phones(lowered)).provider is not None
    if query.provider is not None and not said_provider and query.category in (None, "pulsa", "data"):
        query = replace(query, provider=None)  # read off another number in the message, not said
    if target and query.category is None and query.provider not in vocab.EWALLETS and target.startswith("08") \
            and (query.nominal or query.max_price) and query.provider not in vocab.GAMES:
        query = replace(query, category="pulsa")  # "0857… tolong isiin 20rb" is pulsa
    named = query.structured  # what the words say, before the number's operator is added
    if target and target.startswith("08") and query.provider is None and query.category in (None, "pulsa", "data"):
        query = replace(query, provider=vocab.provider_from_phone(target))
    inferred = frozenset() if query.provider is None or said_provider else frozenset({"provider"})
    query = replace(query, target=target)
    slots.update(_product_slots(query))
    picked = CHOICE_IN.search(strip_target(lowered, target)) if target else None
    if picked:  # "yang kedua buat 0812…": a row of the list on screen, and where it goes
        word = picked.group(1)
        slots["choice"] = ORDINALS.get(word) or int(word)
        for key in ("nominal", "max_price", "units"):
            slots.pop(key, None)
    quantity = QUANTITY.search(lowered)
    if quantity and int(quantity.group(1)) > 1:
        slots["quantity"] = int(quantity.group(1))

    def result(intent: Intent) -> Understanding:
        return Understanding(intent, slots, query, inferred)

    cancel = CANCEL.search(lowered)
    if cancel and named and AMENDS.search(lowered[cancel.end():]):
        # "gajadi 100, 200rb aja", "ga jadi pulsa, token aja": a correction, read from its last clause
        last = [p for p in re.split(r",|;|\btapi\b|\bjadi\b|\bganti\b", lowered[cancel.end():]) if p.strip()]
        if last and last[-1] != lowered and names_a_product(last[-1]):
            return _understand(last[-1] if not target else f"{last[-1]} {target}")
    elif cancel or SOFT_CANCEL.match(lowered):
        return result("cancel")
    if (RECEIPT.search(lowered) and not named) or (RECEIPT_AGAIN.search(lowered) and not query.nominal and not target):
        return result("receipt")
    if COMPLAINT.search(lowered):
        return result("complaint")
    if re.search(r"\b(riwayat|histori|history)\s+saldo\b|\bmutasi\b|\bbalance history\b", lowered):
        return result("balance")  # saldo mutations, not orders
    if "ref" in slots or STATUS.search(lowered):
        if "ref" not in slots and HISTORY.search(lowered):
            slots["history"] = True
        return result("check_status")
    if DEPOSIT.search(lowered):
        method = next((METHODS[w] for w in re.findall(r"[a-z]+", lowered) if w in METHODS), None)
        for key in ("provider", "category", "target"):
            slots.pop(key, None)
        if method:
            slots["method"] = method
        return result("deposit")
    if BALANCE.search(lowered) and not query.structured and (BALANCE_CUE.search(lowered) or lowered.strip() in ("saldo", "mutasi")):
        return result("balance")
    if BILL.search(lowered.replace(" ", "_")) or BILL.search(lowered) or query.category == "bill":
        slots["category"] = "bill"
        return result("bill_check")
    sort = FOLLOW_UP_SORT.match(lowered)
    if sort and not (query.category or query.provider or query.nominal or query.max_price):
        cheap = "murah" in sort.group(1) or "cheap" in sort.group(1)
        return Understanding("search", {"sort": "price_asc" if cheap else "price_desc"}, query)
    if named:
        if PRICE.search(lowered):
            return result("price_check")
        specific = query.nominal is not None or query.units is not None or target is not None
        asking = lowered.startswith("ada ") or lowered.rstrip().endswith("?")
        if BUY.search(lowered) and not (BROWSE.search(lowered) and not specific):
            return result("buy")
        if asking and not target:
            return result("search")
        if specific and query.category in ("pulsa", "ewallet", "pln", "voucher", "game") and query.max_price is None:
            return result("buy")
        return result("search")
    if target:  # "081234567890", "nomor ini aja", "eh ganti nomornya 0857…": where the purchase goes
        return result("buy")
    if ABOUT.search(lowered) and len(lowered.split()) <= 8 and not query.structured:
        return result("about")
    if HELP.search(lowered):
        return result("help")
    greets = GREETING.search(lowered)
    if (greets and (len(lowered.split()) <= 3 or (greets.start() == 0 and len(lowered.split()) <= 6))) \
            or CALL_ONLY.match(lowered) \
            or (SALAM.search(lowered) and len(lowered.split()) <= 8):
        if SALAM.search(lowered):
            slots["salam"] = True  # answered in kind
        return result("greeting")
    if query.terms and BROWSE.search(lowered):
        return result("search")
    pay = PAY_WITH.search(lowered)
    if pay:  # "pake saldo aja", "pay with saldo": how to pay what is quoted
        slots["pay"] = "qris" if pay.group(1) in ("qris", "qr") else "saldo"
        return result("other")
    if QUESTION.search(lowered) or len(lowered.split()) >= 3:
        slots["off_topic"] = True  # a question or a sentence that names nothing we sell
    return result("other")


def _product_slots(q: SearchQuery) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    for name, value in (("category", q.category), ("provider", q.provider), ("nominal", q.nominal),
                        ("max_price", q.max_price), ("target", q.target), ("units", q.units),
                        ("validity_days", q.min_validity_days)):
        if value is not None:
            slots[name] = value
    if q.min_quota_gb is not None:
        slots["quota_gb"] = _number(q.min_quota_gb)
    if q.sort != "relevance":
        slots["sort"] = q.sort
    return slots


def opens_with_salam(text: str) -> bool:
    """Whether the message (or its first line) opens with the salam ("assalamualaikum kak\npulsa…")."""
    first = (text or "").strip().lower().split("\n", 1)[0]
    return bool(SALAM.search(first)) and len(first.split()) <= 6


def burst_intent(text: str) -> str | None:
    """The one line of a burst ("ya\nmakasih kak") that decides it: a confirmation or a cancel."""
    lines = [line for line in (text or "").split("\n") if line.strip()]
    if len(lines) < 2:
        return None
    intents = {_understand(line).intent for line in lines}
    if "cancel" in intents:
        return "cancel" if "confirm" not in intents else None
    return "confirm" if "confirm" in intents and intents <= {"confirm", "thanks", "greeting", "other"} else None


def names_a_product(text: str) -> bool:
    """Whether ``text`` names anything about a product (a category, operator, amount, quota...)."""
    q = parse_query(targets.strip_phones(text))  # a number's operator is no product named
    return any(v is not None for v in (q.category, q.provider, q.nominal, q.max_price, q.min_quota_gb, q.units))


def requests(text: str) -> list[Understanding]:
    """The requests in one message: one per part that names a product (each with its own target),
    or the whole message as one when it holds fewer than two."""
    for parts in ([p for p in SPLIT.split(text or "") if p and p.strip()], _after_targets(text or "")):
        if len(parts) < 2:
            continue
        found = [_understand(p) for p in parts]
        products = [u for u in found if u.intent in ("buy", "search", "price_check") and _names(u)]
        if len(products) >= 2:
            return products
    return [_understand(text)]


_A_TARGET = re.compile(r"(?<!\d)(?:\+?62|0)8[\d\s\-.]{7,15}\d(?!\d)|(?<!\d)\d{6,16}(?!\d)")


def _after_targets(text: str) -> list[str]:
    """"pulsa tri 5rb 0896… dana 10rb 0812… token 20rb 5321…": no connector, but each request
    ends with its target — the pieces after each target."""
    pieces, start = [], 0
    for match in _A_TARGET.finditer(text):
        pieces.append(text[start:match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p.strip()]


def _names(u: Understanding) -> bool:
    q = u.query
    return q.category is not None or (q.provider is not None and "provider" not in u.inferred)


def said_by(u: Understanding, *, method: str | None = None, more: bool = False, text: str = "") -> Said:
    """What ``u`` said about the request frame (what was only inferred left out); ``text`` tells
    whether it amends the request being built ("eh yang xl aja")."""
    q = replace(u.query, provider=None) if "provider" in u.inferred else u.query
    return Said.from_query(q, target=u.slots.get("target"), method=method, more=more,
                           amends=bool(AMENDS.search(text.lower())))


def adds_more(text: str) -> bool:
    """"sekalian …", "… juga": another item, not a change of the one being built."""
    return bool(MORE.search(text.lower()))
