"""Quotes: the details to confirm, how it will be paid, the buttons, and what happens to a quote
(expired, replaced, cancelled)."""

from __future__ import annotations

from typing import Any, Sequence

from shared.domain.replies.common import DEFAULT_LANG, attr, pick, rupiah, show_target, target_label, target_line


def quote(order: Any, ttl_minutes: int, *, lang: str = DEFAULT_LANG) -> str:
    """One quote with its own YA/BATAL line (the text form of a single confirmation)."""
    name, ref, amount = attr(order, "name"), attr(order, "ref"), rupiah(attr(order, "price"))
    if lang == "en":
        return (f"Here are the details 🧾\n*{name}*\n{target_line(order, lang=lang)}\nPrice: *{amount}*\nCode: {ref}\n\n"
                f"Reply *YES* to continue or *CANCEL* if you changed your mind. Valid for {ttl_minutes} minutes.")
    return (f"Siap kak, ini rinciannya 🧾\n*{name}*\n{target_line(order)}\nHarga: *{amount}*\nKode: {ref}\n\n"
            f"Balas *YA* untuk lanjut atau *BATAL* kalau nggak jadi. Berlaku {ttl_minutes} menit ya.")


QUOTE_BUTTONS = {"qris": "Bayar QRIS", "saldo": "Pakai saldo", "cancel": "Batal"}
QUOTE_BUTTONS_EN = {"qris": "Pay by QRIS", "saldo": "Use saldo", "cancel": "Cancel"}


def quote_buttons(ref: str, *, saldo_covers: bool, lang: str = DEFAULT_LANG) -> list[dict[str, str]]:
    """A quote's reply buttons (ids ``<action>:<ref>``); "Pakai saldo" only when saldo pays it."""
    titles = QUOTE_BUTTONS_EN if lang == "en" else QUOTE_BUTTONS
    actions = ["qris", "saldo", "cancel"] if saldo_covers else ["qris", "cancel"]
    return [{"id": f"{a}:{ref}", "title": titles[a]} for a in actions]


def pay_hint(total: int, saldo: int, *, method: str | None = None, lang: str = DEFAULT_LANG) -> str:
    """How this quote will be paid: saldo when it covers the total, else QRIS — or the way the
    customer asked for ("pakai saldo", "qris") when they did."""
    if method == "saldo" and saldo < total:
        short = rupiah(total - saldo)
        return pick(lang, f"Kakak mau bayar pakai saldo, tapi saldonya {rupiah(saldo)} (kurang {short}) 🙏 "
                          "Balas *QRIS* untuk bayar pakai QRIS, atau isi saldo dulu (contoh: _depo 50rb_).",
                    f"You'd like to pay from your saldo, but it's {rupiah(saldo)} ({short} short) 🙏 "
                    "Reply *QRIS* to pay by QRIS, or top up first (e.g. _deposit 50k_).")
    if method == "qris":
        return pick(lang, "Bayarnya pakai *QRIS* ya kak (bisa ada biaya QRIS kecil, totalnya aku tulis di QR-nya). "
                          "Balas *YA* untuk lanjut atau *BATAL*.",
                    "You'll pay by *QRIS* (a small QRIS fee may apply; the total is on the QR message). "
                    "Reply *YES* to continue or *CANCEL*.")
    if saldo >= total:
        return pick(lang, f"Dibayar dari saldo kakak ({rupiah(saldo)}). Balas *YA* untuk bayar, "
                          "atau *QRIS* kalau mau bayar pakai QRIS.",
                    f"Paid from your saldo ({rupiah(saldo)}). Reply *YES* to pay, or *QRIS* to pay by QRIS instead.")
    return pick(lang, f"Saldo kakak {rupiah(saldo)}, jadi bayarnya pakai *QRIS* (bisa ada biaya QRIS kecil, "
                      "totalnya aku tulis di QR-nya). Balas *YA* untuk lanjut atau *BATAL*.",
                f"Your saldo is {rupiah(saldo)}, so this one is paid by *QRIS* (a small QRIS fee may apply; "
                "the total is on the QR message). Reply *YES* to continue or *CANCEL*.")


def duplicate_warning(recent: Any, *, lang: str = DEFAULT_LANG) -> str:
    """The same product to the same target was bought a moment ago."""
    minutes, ref = int(attr(recent, "minutes")), attr(recent, "ref")
    if lang == "en":
        when = "just now" if minutes < 1 else f"{minutes} minute{'s' if minutes > 1 else ''} ago"
        return f"⚠️ You bought the same thing {when} ({ref}). Buy it again?"
    when = f"{minutes} menit lalu" if minutes >= 1 else "barusan"
    return f"⚠️ Kakak baru beli yang sama {when} ({ref}). Yakin beli lagi?"


def quote_batch(orders: Sequence[Any], ttl_minutes: int, saldo: int, *, method: str | None = None,
                lang: str = DEFAULT_LANG) -> str:
    """One confirmation for one or several orders (several targets in one request)."""
    total = sum(int(attr(o, "price")) for o in orders)
    price_word, code_word = pick(lang, "Harga", "Price"), pick(lang, "Kode", "Code")
    lines = [pick(lang, "Siap kak, ini rinciannya 🧾", "Here are the details 🧾")]
    for o in orders:
        lines += [f"*{attr(o, 'name')}*", target_line(o, lang=lang), f"{price_word}: *{rupiah(attr(o, 'price'))}*",
                  f"{code_word}: {attr(o, 'ref')}", ""]
    if len(orders) > 1:
        lines.append(pick(lang, f"Total {len(orders)} pesanan: *{rupiah(total)}*",
                          f"Total for {len(orders)} orders: *{rupiah(total)}*"))
    for o in orders:
        if attr(o, "recent_duplicate"):
            lines.append(duplicate_warning(attr(o, "recent_duplicate"), lang=lang))
    lines.append(pay_hint(total, saldo, method=method, lang=lang))
    lines.append(pick(lang, f"Harga berlaku {ttl_minutes} menit ya.", f"Prices are valid for {ttl_minutes} minutes."))
    return "\n".join(lines)


def bill_quote(order: Any, ttl_minutes: int, saldo: int, *, lang: str = DEFAULT_LANG) -> str:
    """A postpaid bill found by its inquiry: who it is for, the periods, the bill and the admin fee."""
    bill = attr(order, "bill") or {}
    periods = ", ".join(bill.get("periods") or []) or "-"
    price, amount = int(attr(order, "price")), int(bill.get("amount") or 0)
    label = target_label("bill", attr(order, "provider"), lang=lang)
    target, name, ref = show_target(attr(order, "target")), attr(order, "name"), attr(order, "ref")
    if lang == "en":
        return (f"Bill for *{name}* 🧾\n{label}: {target}\nName: *{bill.get('customer_name') or '-'}*\n"
                f"Period: {periods}\nBill: {rupiah(amount)}\nAdmin fee: {rupiah(price - amount)}\n"
                f"Total: *{rupiah(price)}*\nCode: {ref}\n\n"
                f"{pay_hint(price, saldo, lang=lang)}\nValid for {ttl_minutes} minutes.")
    return (f"Tagihan *{name}* 🧾\n{label}: {target}\nNama: *{bill.get('customer_name') or '-'}*\n"
            f"Periode: {periods}\nTagihan: {rupiah(amount)}\nAdmin: {rupiah(price - amount)}\n"
            f"Total: *{rupiah(price)}*\nKode: {ref}\n\n"
            f"{pay_hint(price, saldo)}\nBerlaku {ttl_minutes} menit ya.")


def quote_expired(order: Any, *, lang: str = DEFAULT_LANG) -> str:
    ref = attr(order, "ref")
    return pick(lang, f"Waduh, penawaran *{ref}* sudah kedaluwarsa kak 🙏\n"
                      "Harga bisa berubah, sebut lagi produknya ya biar aku cekkan yang terbaru.",
                f"Oops, quote *{ref}* has expired 🙏\n"
                "Prices can change, so tell me the product again and I'll check the latest.")


def stale_button(ref: str, *, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, f"Pesanan *{ref}* sudah diganti atau nggak berlaku lagi kak 🙏\n"
                      "Cek rincian yang terbaru di atas ya, atau sebut lagi produknya.",
                f"Order *{ref}* was replaced or is no longer valid 🙏\n"
                "Check the latest details above, or tell me the product again.")


def nothing_to_confirm(*, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, "Belum ada pesanan yang perlu dikonfirmasi kak 😊 Mau beli apa?",
                "There's nothing to confirm yet 😊 What would you like to buy?")


def cancelled(order: Any | None, *, lang: str = DEFAULT_LANG) -> str:
    if order is None:
        return pick(lang, "Oke kak, nggak jadi ya 👍 Ada lagi yang bisa dibantu?",
                    "Okay, cancelled 👍 Anything else I can help with?")
    ref = attr(order, "ref")
    return pick(lang, f"Oke kak, pesanan *{ref}* dibatalkan 👍 Ada lagi yang bisa dibantu?",
                f"Okay, order *{ref}* is cancelled 👍 Anything else I can help with?")


def cannot_cancel(order: Any, *, lang: str = DEFAULT_LANG) -> str:
    ref = attr(order, "ref")
    return pick(lang, f"Pesanan *{ref}* sudah diproses kak, jadi nggak bisa dibatalkan lagi 🙏",
                f"Order *{ref}* is already being processed, so it can't be cancelled anymore 🙏")
