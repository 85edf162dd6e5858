"""Finding a product: lists (text and WhatsApp list rows), prices, nothing found, stale lists."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from shared.domain.replies.common import DEFAULT_LANG, attr, describe, pick, rupiah, show_target


def _numbered(head: str, items: Iterable[Any], tail: str) -> str:
    lines = [head] + [f"{i}. *{attr(item, 'name')}* — {rupiah(attr(item, 'price'))}"
                      for i, item in enumerate(items, start=1)]
    return "\n".join(lines + ["", tail])


def product_list(items: Iterable[Any], query: Mapping[str, Any], *, lang: str = DEFAULT_LANG) -> str:
    return _numbered(pick(lang, f"Ini pilihan {describe(query)} kak:", f"Here are the {describe(query, lang=lang)} options:"),
                     items, pick(lang, "Balas *nomornya* ya kak, nanti aku siapkan 😊",
                                 "Reply with the *number* and I'll set it up 😊"))


def alternatives(items: Iterable[Any], query: Mapping[str, Any], *, lang: str = DEFAULT_LANG) -> str:
    return _numbered(pick(lang, f"Maaf kak, {describe(query)} lagi kosong 🙏 Ini yang terdekat:",
                          f"Sorry, {describe(query, lang=lang)} is out of stock 🙏 Here are the closest:"),
                     items, pick(lang, "Balas *nomornya* kalau mau ya kak 😊", "Reply with the *number* if you'd like one 😊"))


def nothing_found(query: Mapping[str, Any], *, lang: str = DEFAULT_LANG) -> str:
    return pick(lang,
                f"Maaf kak, {describe(query)} lagi nggak tersedia 🙏\n"
                "Coba sebut nominal atau budget lain ya, contoh: _paket xl di bawah 50rb_",
                f"Sorry, {describe(query, lang=lang)} isn't available right now 🙏\n"
                "Try another amount or budget, e.g. _xl data under 50k_")


def price(item: Any, *, lang: str = DEFAULT_LANG) -> str:
    name, amount = attr(item, "name"), rupiah(attr(item, "price"))
    return pick(lang, f"Harga *{name}* sekarang {amount} kak.\nMau beli? Kirim nomor tujuannya ya 😊",
                f"*{name}* is {amount} right now.\nWant it? Send me the number to top up 😊")


def product_rows(items: Iterable[Any], query: Mapping[str, Any], *, alternatives: bool = False,
                 lang: str = DEFAULT_LANG) -> dict[str, Any]:
    """A product list as a WhatsApp list message: a short body and one row per product (ids
    ``pick:<code>``). The body names no numbers: the bridge numbers the rows for its customers."""
    if lang == "en":
        head = (f"Sorry, {describe(query, lang=lang)} is out of stock 🙏 Here are the closest." if alternatives
                else f"Here are the {describe(query, lang=lang)} options.")
        body, button, title = f"{head} Pick one 😊", "See options", "Products"
    else:
        head = (f"Maaf kak, {describe(query)} lagi kosong 🙏 Ini yang terdekat." if alternatives
                else f"Ini pilihan {describe(query)} kak.")
        body, button, title = f"{head} Pilih salah satu ya 😊", "Lihat pilihan", "Produk"
    rows = [{"id": f"pick:{attr(item, 'code')}", "title": str(attr(item, "name")),
             "description": rupiah(attr(item, "price"))} for item in items]
    return {"body": body, "button": button, "title": title, "rows": rows}


def pick_from_list_first(*, lang: str = DEFAULT_LANG) -> str:
    """A number typed while no list is on screen."""
    return pick(lang, "Pilih dari daftar dulu ya kak 😊 Mau cari apa? Contoh: _pulsa tsel 25rb_",
                "There's no list to pick from yet 😊 What are you looking for? E.g. _pulsa tsel 25k_")


def target_noted_pick(target: str, n: int, *, lang: str = DEFAULT_LANG) -> str:
    """A number (or meter, or id) sent while a list waits for a choice: kept, and the choice asked for."""
    shown = show_target(target)
    choices = pick(lang, f"angka 1 sampai {n}" if n > 1 else "*1*", f"1 to {n}" if n > 1 else "*1*")
    return pick(lang, f"Oke kak, *{shown}* aku catat 👍 Tinggal pilih produknya dari daftar di atas ya, "
                      f"balas {choices}.",
                f"Got it, *{shown}* noted 👍 Now just pick a product from the list above: reply {choices}.")


def choice_out_of_range(n: int, *, lang: str = DEFAULT_LANG) -> str:
    """A number outside the list on screen (``n`` rows)."""
    if n == 1:
        return pick(lang, "Pilihannya cuma satu kak, balas *1* ya 😊", "There's just one option: reply *1* 😊")
    return pick(lang, f"Pilihannya cuma 1 sampai {n} kak 😊", f"Please pick a number from 1 to {n} 😊")


def stale_list(*, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, "Daftar itu sudah nggak berlaku kak 🙏 Sebut lagi produknya ya, nanti aku carikan yang terbaru.",
                "That list has expired 🙏 Tell me the product again and I'll find the latest for you.")


def product_gone(*, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, "Maaf kak, produk itu barusan habis 🙏 Mau aku carikan yang lain?",
                "Sorry, that product just sold out 🙏 Shall I find you another one?")
