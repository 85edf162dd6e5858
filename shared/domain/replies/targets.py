"""Where a product goes: asking for exactly the right detail per product kind (phone number, meter
number / IDPEL, customer number, game ids, the number registered with an e-wallet), and saying
when what came does not fit."""

from __future__ import annotations

from typing import Any, Mapping

from shared.domain.replies.common import (
    DEFAULT_LANG, attr, category_name, describe, pick, provider_name, rupiah, show_target, wallet_name,
)


def _question(category: str | None, provider: str | None, *, lang: str) -> str:
    """The one question that asks for a ``category``/``provider`` product's target, in its own words."""
    if category in ("pulsa", "data"):
        return pick(lang, "Nomor HP tujuannya berapa? Kalau untuk nomor ini, balas *nomor ini* aja.",
                    "Which phone number should I top up? For this number, just reply *this number*.")
    if category == "ewallet":
        wallet = wallet_name(provider)
        return pick(lang, f"Nomor HP yang terdaftar di {wallet} berapa kak? Kalau nomor ini, balas *nomor ini* aja.",
                    f"What's the phone number registered with {wallet}? For this number, just reply *this number*.")
    if category == "pln":
        return pick(lang, "Nomor meter / ID pelanggan (IDPEL) berapa kak? Nomor meter 11 digit, IDPEL 12 digit.",
                    "What's the meter number or customer ID (IDPEL)? The meter number has 11 digits, IDPEL 12.")
    if category == "bill":
        return pick(lang, "Nomor pelanggannya berapa kak?", "What's the customer number?")
    if provider == "MOBILE LEGENDS":
        return pick(lang, "User ID dan Zone ID (Server) berapa kak? Contoh: _12345678 (1234)_",
                    "What's your User ID and Zone ID (Server)? E.g. _12345678 (1234)_")
    if provider == "FREE FIRE":
        return pick(lang, "Player ID Free Fire-nya berapa kak?", "What's your Free Fire Player ID?")
    if category == "game":
        return pick(lang, "ID game-nya berapa kak?", "What's your game ID?")
    return pick(lang, "Tujuannya ke mana kak?", "Where should I send it?")


def ask_target(item: Any, *, suggested: str | None = None, lang: str = DEFAULT_LANG) -> str:
    """A product was picked: ask where it goes (or offer the target used last time)."""
    name, amount = attr(item, "name"), rupiah(attr(item, "price"))
    head = pick(lang, f"Oke kak, *{name}* ({amount}).", f"Sure, *{name}* ({amount}).")
    if suggested:
        shown = show_target(suggested)
        return pick(lang, f"{head}\nKirim ke *{shown}* lagi kak? Balas *ya*, atau ketik nomor lain.",
                    f"{head}\nSend it to *{shown}* again? Reply *yes*, or type another one.")
    return f"{head}\n{_question(attr(item, 'category'), attr(item, 'provider'), lang=lang)}"


def ask_target_for_request(query: Mapping[str, Any], *, lang: str = DEFAULT_LANG) -> str:
    """A request that names no target yet (``pulsa 25rb``): ask for it before listing anything."""
    category, provider = attr(query, "category"), attr(query, "provider")
    if category in (None, "pulsa", "data"):
        return pick(lang, f"Siap kak, {describe(query)} untuk nomor berapa? 📱 Kalau nomor ini, balas *nomor ini* aja.",
                    f"Sure, {describe(query, lang=lang)} for which number? 📱 For this number, just reply *this number*.")
    head = pick(lang, f"Siap kak, {describe(query)} 👍", f"Sure, {describe(query, lang=lang)} 👍")
    return f"{head}\n{_question(category, provider, lang=lang)}"


def ask_zone(item: Any, user_id: str, *, lang: str = DEFAULT_LANG) -> str:
    """A Mobile Legends User ID came without its Zone ID: ask just for the zone."""
    uid = str(user_id).split("|")[0].strip()
    name = attr(item, "name")
    about = pick(lang, f" buat *{name}*", f" for *{name}*") if name else ""
    return pick(lang,
                f"Oke kak, User ID *{uid}*{about} sudah aku catat 👍\n"
                f"Zone ID (Server)-nya berapa? Yang di dalam kurung, contoh: _{uid} (1234)_",
                f"Got it, User ID *{uid}*{about} 👍\n"
                f"What's the Zone ID (Server)? It's the number in brackets, e.g. _{uid} (1234)_")


def bad_target(item: Any, *, lang: str = DEFAULT_LANG) -> str:
    """What came does not fit the product (``shared.domain.targets.valid_for`` said no)."""
    category, provider = attr(item, "category"), attr(item, "provider")
    if category == "pln":
        return pick(lang, "Nomor meternya sepertinya kurang pas kak 🙏 Nomor meter 11 digit, ID pelanggan 12 digit.",
                    "That meter number doesn't look right 🙏 A meter number has 11 digits, a customer ID (IDPEL) 12.")
    if provider == "MOBILE LEGENDS":
        return pick(lang, "ID-nya kurang lengkap kak 🙏 Kirim User ID dan Zone ID, contoh: _12345678 (1234)_",
                    "That ID isn't complete 🙏 Send your User ID and Zone ID, e.g. _12345678 (1234)_")
    if category == "game":
        return pick(lang, "ID game-nya sepertinya kurang pas kak 🙏 Cek lagi ya.",
                    "That game ID doesn't look right 🙏 Please check it again.")
    if category == "bill":
        return pick(lang, "Nomor pelanggannya sepertinya kurang pas kak 🙏 Cek lagi ya.",
                    "That customer number doesn't look right 🙏 Please check it again.")
    return pick(lang, "Nomornya sepertinya kurang pas kak 🙏 Contoh yang benar: _081234567890_",
                "That number doesn't look right 🙏 It should look like _081234567890_")


def operator_mismatch(item: Any, target: str, target_provider: str, *, lang: str = DEFAULT_LANG) -> str:
    """The number belongs to another operator than the product (an Indosat package for an 0821
    Telkomsel number): name both, offer the number's operator or another number."""
    name, theirs = attr(item, "name"), provider_name(target_provider)
    ours = provider_name(attr(item, "provider") or "")
    what = category_name(attr(item, "category"), lang=lang)
    return pick(lang,
                f"Eh kak, *{target}* kayaknya nomor {theirs}, sedangkan *{name}* itu buat {ours} 🙏\n"
                f"Mau ganti ke {what} {theirs} aja (balas *ya*), atau kirim nomor {ours} yang lain?",
                f"Heads up: *{target}* looks like a {theirs} number, but *{name}* is for {ours} 🙏\n"
                f"Switch to {theirs} {what} instead (reply *yes*), or send another {ours} number?")


def own_number_unreadable(*, lang: str = DEFAULT_LANG) -> str:
    """"nomor ini", but the customer's WhatsApp number is not a mobile number we can read."""
    return pick(lang, "Nomor WA kakak nggak kebaca 🙏 Ketik nomor tujuannya ya, contoh: _081234567890_",
                "I couldn't read your WhatsApp number 🙏 Please type the number to top up, e.g. _081234567890_")


def target_noted_ask_product(*, lang: str = DEFAULT_LANG) -> str:
    """Only a number came: keep it, ask what it is for."""
    return pick(lang, "Nomornya sudah aku catat kak 😊 Mau isi apa? Contoh: _pulsa 25rb_ atau _paket data_",
                "Got the number 😊 What would you like to top up? E.g. _pulsa 25k_ or _data_")


def bill_ask_number(provider: str | None, *, lang: str = DEFAULT_LANG) -> str:
    if lang == "en":
        what = {"PLN": "PLN customer ID (12 digits)", "BPJS": "BPJS VA number"}.get(provider or "", "customer ID")
        return f"Send me the {what} and I'll check the bill."
    what = {"PLN": "ID pelanggan PLN (12 digit)", "BPJS": "nomor VA BPJS"}.get(provider or "", "ID pelanggan")
    return f"Kirim {what}-nya ya kak, nanti aku cekkan tagihannya."


def bill_not_found(*, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, "Tagihannya nggak ketemu atau sudah lunas kak 🙏 Cek lagi ID pelanggannya ya.",
                "I couldn't find that bill, or it's already paid 🙏 Please check the customer ID.")
