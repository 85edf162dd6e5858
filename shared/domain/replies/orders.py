"""Orders after the quote: how they stand, receipts (and receipts again), failures, history,
complaints. Every function takes ``shared.domain.orders.Order`` objects or their JSON mappings."""

from __future__ import annotations

from typing import Any, Sequence

from shared.domain.replies.common import (
    DEFAULT_LANG, attr, format_sn, local_time, moment_of, pick, rupiah, show_target, sn_label, target_line,
)
from shared.domain.replies.quotes import nothing_to_confirm

STATUS_NAMES = {
    "quoted": "menunggu konfirmasi", "confirmed": "menunggu pembayaran", "paid": "sudah dibayar",
    "processing": "sedang diproses ⏳", "success": "berhasil ✅", "failed": "gagal ❌", "refunded": "gagal, dana dikembalikan",
    "expired": "kedaluwarsa", "cancelled": "dibatalkan",
}
STATUS_NAMES_EN = {
    "quoted": "waiting for confirmation", "confirmed": "waiting for payment", "paid": "paid",
    "processing": "processing ⏳", "success": "successful ✅", "failed": "failed ❌", "refunded": "failed, money returned",
    "expired": "expired", "cancelled": "cancelled",
}

# Why an order failed, as stored with it (``orders.failure_reason``) and shown to the customer.
FAILURE_REASONS = {"invalid_target": "nomor tujuan tidak valid", "price_changed": "harga dari operator berubah",
                   "product_unavailable": "produk sedang gangguan", "refused": "ditolak operator"}
FAILURE_REASONS_EN = {FAILURE_REASONS["invalid_target"]: "the number is not valid",
                      FAILURE_REASONS["price_changed"]: "the operator changed the price",
                      FAILURE_REASONS["product_unavailable"]: "the product is having problems",
                      FAILURE_REASONS["refused"]: "refused by the operator"}


def status_name(status: str, *, lang: str = DEFAULT_LANG) -> str:
    return (STATUS_NAMES_EN if lang == "en" else STATUS_NAMES).get(status, status)


def failure_reason(kind: str) -> str:
    """The stored reason for a failure ``kind`` (``invalid_target``, ``price_changed``,
    ``product_unavailable``; anything else is ``refused``). Stored in Indonesian, translated when shown."""
    return FAILURE_REASONS.get(kind, FAILURE_REASONS["refused"])


def _sn(order: Any) -> str:
    return format_sn(attr(order, "sn"), attr(order, "category"))


def no_orders_yet(*, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, "Kakak belum punya pesanan 😊 Mau beli apa hari ini?",
                "You don't have any orders yet 😊 What would you like to buy today?")


def order_status(orders: Sequence[Any], ref: str | None, *, lang: str = DEFAULT_LANG) -> str:
    if not orders:
        if ref:
            return pick(lang, f"Pesanan *{ref}* nggak ketemu kak 🙏 Cek lagi kodenya ya.",
                        f"I couldn't find order *{ref}* 🙏 Please check the code.")
        return no_orders_yet(lang=lang)
    lines = [pick(lang, "Status pesanan kakak:", "Your orders:")]
    to = pick(lang, "ke", "to")
    for o in orders:
        status = attr(o, "status")
        line = (f"• *{attr(o, 'ref')}* — {attr(o, 'name')} {to} {show_target(attr(o, 'target'))}: "
                f"{status_name(status, lang=lang)}")
        if attr(o, "sn") and status == "success":
            line += f"\n  {sn_label(attr(o, 'category'))}: {_sn(o)}"
        lines.append(line)
    return "\n".join(lines)


def already_paid(orders: Sequence[Any], *, lang: str = DEFAULT_LANG) -> str:
    """A confirmation (or "pakai saldo") for orders that are paid: how each stands, nothing charged."""
    if not orders:
        return nothing_to_confirm(lang=lang)
    lines = []
    for o in orders:
        status, ref = attr(o, "status"), attr(o, "ref")
        if status == "success":
            sn = f" {sn_label(attr(o, 'category'))}: *{_sn(o)}*" if attr(o, "sn") else ""
            lines.append(pick(lang, f"Pesanan *{ref}* sudah berhasil ✅{sn}", f"Order *{ref}* went through ✅{sn}"))
        elif status == "refunded":
            lines.append(pick(lang, f"Pesanan *{ref}* gagal dan dananya sudah dikembalikan ke saldo kakak 🙏",
                              f"Order *{ref}* failed and the money is back in your saldo 🙏"))
        else:
            lines.append(pick(lang, f"Pesanan *{ref}* sudah dibayar ✅ dan lagi diproses ⏳",
                              f"Order *{ref}* is paid ✅ and being processed ⏳"))
    if any(attr(o, "status") not in ("success", "refunded") for o in orders):
        tail = pick(lang, "Nanti aku kabari begitu selesai ya kak.", "I'll let you know as soon as it's done.")
    else:
        tail = pick(lang, "Ada lagi yang bisa dibantu kak? 😊", "Anything else I can help with? 😊")
    return "\n".join(lines + [tail])


def _receipt_lines(order: Any, *, zone: str, lang: str, moment: Any = None) -> list[str]:
    """Product, target, price, ref, SN/token and when it finished (or ``moment``)."""
    moment = moment_of(attr(order, "finished_at")) or moment_of(moment)
    return [f"*{attr(order, 'name')}*", target_line(order, lang=lang),
            f"{pick(lang, 'Harga', 'Price')}: {rupiah(attr(order, 'price'))}", f"Ref: {attr(order, 'ref')}",
            f"{sn_label(attr(order, 'category'))}: *{format_sn(attr(order, 'sn') or '-', attr(order, 'category'))}*",
            local_time(moment, zone, lang=lang) if moment else ""]


def receipt(order: Any, *, zone: str, lang: str = DEFAULT_LANG) -> str:
    """The delivery: sent once when an order succeeds."""
    return _receipt(order, zone=zone, lang=lang)


def _receipt(order: Any, *, zone: str, lang: str, moment: Any = None) -> str:
    lines = _receipt_lines(order, zone=zone, lang=lang, moment=moment)
    return "\n".join([pick(lang, "✅ *Berhasil!*", "✅ *Done!*")] + lines).rstrip()


def receipt_again(order: Any | None, *, zone: str, lang: str = DEFAULT_LANG) -> str:
    """"minta struknya": the last order's receipt again, or why there is none yet."""
    if order is None:
        return no_orders_yet(lang=lang)
    status, ref, name = attr(order, "status"), attr(order, "ref"), attr(order, "name")
    if status == "success":
        head = pick(lang, "🧾 Ini struk pesanan terakhir kakak:", "🧾 Here's the receipt for your last order:")
        return f"{head}\n{_receipt(order, zone=zone, lang=lang, moment=attr(order, 'created_at'))}"
    if status in ("paid", "processing"):
        return pick(lang, f"Pesanan terakhir kakak *{ref}* ({name}) masih diproses ⏳ "
                          "Struknya langsung aku kirim begitu selesai ya.",
                    f"Your last order *{ref}* ({name}) is still being processed ⏳ "
                    "I'll send the receipt as soon as it's done.")
    if status in ("quoted", "confirmed"):
        return pick(lang, f"Pesanan terakhir kakak *{ref}* ({name}) belum dibayar, jadi belum ada struknya 😊 "
                          f"Statusnya: {status_name(status)}.",
                    f"Your last order *{ref}* ({name}) isn't paid yet, so there's no receipt 😊 "
                    f"Status: {status_name(status, lang=lang)}.")
    if status in ("failed", "refunded"):
        return pick(lang, f"Pesanan terakhir kakak *{ref}* ({name}) gagal, jadi nggak ada struknya 🙏 "
                          "Dananya dikembalikan ke saldo kakak.",
                    f"Your last order *{ref}* ({name}) failed, so there's no receipt 🙏 "
                    "The money goes back to your saldo.")
    return pick(lang, f"Pesanan terakhir kakak *{ref}* ({name}) {status_name(status)}, jadi nggak ada struknya 😊 "
                      "Mau pesan lagi?",
                f"Your last order *{ref}* ({name}) was {status_name(status, lang=lang)}, so there's no receipt 😊 "
                "Want to order again?")


def order_history(orders: Sequence[Any], *, zone: str, lang: str = DEFAULT_LANG) -> str:
    """"riwayat": the last orders, newest first as given, with their local date and time."""
    if not orders:
        return no_orders_yet(lang=lang)
    lines = [pick(lang, "Riwayat pesanan terakhir kakak:", "Your recent orders:")]
    for o in orders:
        moment = moment_of(attr(o, "created_at"))
        when = f"{local_time(moment, zone, lang=lang)} · " if moment else ""
        lines.append(f"• *{attr(o, 'name')}* — {rupiah(attr(o, 'price'))}\n"
                     f"  {when}{status_name(attr(o, 'status'), lang=lang)} · {attr(o, 'ref')}")
    lines.append(pick(lang, "Ketik _status BJ…_ buat lihat detailnya ya.", "Type _status BJ…_ to see the details."))
    return "\n".join(lines)


def failed_refunded(order: Any, *, lang: str = DEFAULT_LANG) -> str:
    """An order failed: the money (and a QRIS fee paid for it) went back to saldo."""
    stored = attr(order, "failure_reason")
    shown = FAILURE_REASONS_EN.get(stored, stored) if lang == "en" else stored
    reason = f" ({shown})" if stored else ""
    price, fee = int(attr(order, "price")), int(attr(order, "fee_paid") or 0)
    name, target = attr(order, "name"), show_target(attr(order, "target"))
    if lang == "en":
        back = (f"The *{rupiah(price)}* plus the QRIS fee *{rupiah(fee)}* (total *{rupiah(price + fee)}*)"
                if fee else f"The *{rupiah(price)}*")
        return (f"❌ Sorry, *{name}* to {target} couldn't be processed{reason}.\n"
                f"{back} is back in your saldo. Want to try again or pick another product?")
    back = (f"Dana *{rupiah(price)}* + biaya QRIS *{rupiah(fee)}* (total *{rupiah(price + fee)}*)"
            if fee else f"Dana *{rupiah(price)}*")
    return (f"❌ Maaf kak, *{name}* ke {target} gagal diproses{reason}.\n"
            f"{back} sudah dikembalikan ke saldo kakak. Mau coba lagi atau pilih produk lain?")


def still_processing(order: Any, *, lang: str = DEFAULT_LANG) -> str:
    ref, name = attr(order, "ref"), attr(order, "name")
    return pick(lang, f"Pesanan *{ref}* ({name}) masih diproses ya kak ⏳\n"
                      "Kadang operator butuh beberapa menit. Begitu selesai langsung aku kabari.",
                f"Order *{ref}* ({name}) is still being processed ⏳\n"
                "Operators sometimes need a few minutes. I'll tell you the moment it's done.")


def complaint(latest: Any | None, *, lang: str = DEFAULT_LANG) -> str:
    head = pick(lang, "Maaf banget ya kak atas kendalanya 🙏", "I'm really sorry about the trouble 🙏")
    if latest:
        ref, name, status = attr(latest, "ref"), attr(latest, "name"), status_name(attr(latest, "status"), lang=lang)
        return pick(lang, f"{head}\nPesanan terakhir kakak *{ref}* ({name}) statusnya: {status}.\n"
                          "Kalau ada yang nggak sesuai, admin kami akan bantu cek dan kalau gagal dananya dikembalikan ke saldo.",
                    f"{head}\nYour last order *{ref}* ({name}) is: {status}.\n"
                    "If something isn't right, our admin will check it, and if it failed the money goes back to your saldo.")
    return pick(lang, f"{head}\nBoleh kirim kode pesanannya (BJ…) biar aku cekkan?",
                f"{head}\nCould you send me the order code (BJ…) so I can check?")
