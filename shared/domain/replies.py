"""Everything a customer reads, in one place: casual Indonesian, short lines, WhatsApp formatting.

Keep wording here so it can be reviewed and changed without touching logic. Amounts go through
:func:`shared.domain.money.rupiah` (``Rp10.000``); product names are ``*bold*``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from shared.domain.money import rupiah

CATEGORY_NAMES = {
    "pulsa": "pulsa", "data": "paket data", "ewallet": "saldo e-wallet", "pln": "token listrik",
    "game": "top up game", "voucher": "voucher", "bill": "tagihan", "other": "produk",
}


def greeting(name: str | None, shop: str) -> str:
    who = f"kak {name.split()[0]}" if name else "kak"
    return (f"Halo {who}! 👋 Selamat datang di *{shop}*.\n"
            "Mau isi apa hari ini? Pulsa, paket data, token listrik, e-wallet, atau top up game 😊")


def help_menu(shop: str) -> str:
    return (f"Ini yang bisa aku bantu di *{shop}* kak:\n"
            "• Beli pulsa / paket data — contoh: _pulsa tsel 25rb_\n"
            "• Token listrik — contoh: _token 50rb 53211000012_\n"
            "• E-wallet — contoh: _dana 100rb ke 0812xxxx_\n"
            "• Top up game — contoh: _ml 86 diamond_\n"
            "• Cari yang pas budget — contoh: _paket xl di bawah 30rb_\n"
            "• Cek pesanan (_status BJ…_) dan _cek saldo_")


def clarify() -> str:
    return ("Maaf kak, aku belum nangkep maksudnya 🙏\n"
            "Mau beli pulsa, paket data, token listrik, e-wallet, atau top up game? "
            "Contoh: _paket tsel di bawah 20rb_")


def describe(query: Mapping[str, Any]) -> str:
    """A short description of what was asked: ``paket data TELKOMSEL di bawah Rp20.000``."""
    parts = [CATEGORY_NAMES.get(query.get("category") or "", "produk")]
    if query.get("provider"):
        parts.append(str(query["provider"]).title() if len(query["provider"]) > 3 else query["provider"])
    if query.get("nominal"):
        parts.append(rupiah(query["nominal"]).replace("Rp", ""))
    if query.get("units"):
        parts.append(f"{query['units']} diamond")
    if query.get("min_quota_gb"):
        parts.append(f"{query['min_quota_gb']:g} GB")
    if query.get("max_price"):
        parts.append(f"di bawah {rupiah(query['max_price'])}")
    return " ".join(parts)


def _numbered(head: str, items: Iterable[Mapping[str, Any]], tail: str) -> str:
    lines = [head] + [f"{i}. *{item['name']}* — {rupiah(item['price'])}" for i, item in enumerate(items, start=1)]
    return "\n".join(lines + ["", tail])


def product_list(items: Iterable[Mapping[str, Any]], query: Mapping[str, Any]) -> str:
    return _numbered(f"Ini pilihan {describe(query)} kak:", items, "Balas *nomornya* ya kak, nanti aku siapkan 😊")


def alternatives(items: Iterable[Mapping[str, Any]], query: Mapping[str, Any]) -> str:
    return _numbered(f"Maaf kak, {describe(query)} lagi kosong 🙏 Ini yang terdekat:", items,
                     "Balas *nomornya* kalau mau ya kak 😊")


def nothing_found(query: Mapping[str, Any]) -> str:
    return (f"Maaf kak, {describe(query)} lagi nggak tersedia 🙏\n"
            "Coba sebut nominal atau budget lain ya, contoh: _paket xl di bawah 50rb_")


def price(item: Mapping[str, Any]) -> str:
    return (f"Harga *{item['name']}* sekarang {rupiah(item['price'])} kak.\n"
            "Mau beli? Kirim nomor tujuannya ya 😊")


def ask_target(item: Mapping[str, Any], *, suggested: str | None = None) -> str:
    head = f"Oke kak, *{item['name']}* ({rupiah(item['price'])})."
    category, provider = item.get("category"), item.get("provider")
    if suggested:
        return f"{head}\nKirim ke *{suggested}* lagi kak? Balas *ya*, atau ketik nomor lain."
    if category in ("pulsa", "data"):
        return f"{head}\nNomor HP tujuannya berapa? Kalau untuk nomor ini, balas *nomor ini* aja."
    if category == "ewallet":
        return f"{head}\nNomor akun {provider} tujuannya berapa kak?"
    if category == "pln":
        return f"{head}\nNomor meter / ID pelanggan PLN-nya berapa kak? (11–12 digit)"
    if provider == "MOBILE LEGENDS":
        return f"{head}\nUser ID dan Zone ID-nya berapa kak? Contoh: _12345678 (1234)_"
    if category == "game":
        return f"{head}\nID game-nya berapa kak?"
    return f"{head}\nTujuannya ke mana kak?"


def ask_target_for_request(query: Mapping[str, Any]) -> str:
    return f"Siap kak, {describe(query)} untuk nomor berapa? 📱 Kalau nomor ini, balas *nomor ini* aja."


def bad_target(item: Mapping[str, Any]) -> str:
    if item.get("category") == "pln":
        return "Nomor meternya sepertinya kurang pas kak 🙏 Nomor meter 11 digit, ID pelanggan 12 digit."
    if item.get("provider") == "MOBILE LEGENDS":
        return "ID-nya kurang lengkap kak 🙏 Kirim User ID dan Zone ID, contoh: _12345678 (1234)_"
    if item.get("category") == "game":
        return "ID game-nya sepertinya kurang pas kak 🙏 Cek lagi ya."
    return "Nomornya sepertinya kurang pas kak 🙏 Contoh yang benar: _081234567890_"


def quote(order: Mapping[str, Any], ttl_minutes: int) -> str:
    label = {"pln": "Meter", "game": "ID"}.get(order.get("category") or "", "Nomor")
    target = str(order["target"]).replace("|", " / ")
    return (f"Siap kak, ini rinciannya 🧾\n"
            f"*{order['name']}*\n"
            f"{label}: {target}\n"
            f"Harga: *{rupiah(order['price'])}*\n"
            f"Kode: {order['ref']}\n\n"
            f"Balas *YA* untuk lanjut atau *BATAL* kalau nggak jadi. Berlaku {ttl_minutes} menit ya.")


QUOTE_BUTTONS = ("Ya, lanjut", "Batal")


def confirmed(order: Mapping[str, Any]) -> str:
    return (f"Oke kak, pesanan *{order['ref']}* ({order['name']}, {rupiah(order['price'])}) sudah "
            "dikonfirmasi ✅\n"
            "Langkah berikutnya pembayaran, pakai saldo atau QRIS. Pembayaran otomatis sedang kami siapkan; "
            "admin akan kabari kakak untuk lanjut bayar ya 🙏")


def already_confirmed(order: Mapping[str, Any]) -> str:
    return f"Pesanan *{order['ref']}* sudah terkonfirmasi kak, tinggal pembayaran 😊"


def quote_expired(order: Mapping[str, Any]) -> str:
    return (f"Waduh, penawaran *{order['ref']}* sudah kedaluwarsa kak 🙏\n"
            "Harga bisa berubah, sebut lagi produknya ya biar aku cekkan yang terbaru.")


def nothing_to_confirm() -> str:
    return "Belum ada pesanan yang perlu dikonfirmasi kak 😊 Mau beli apa?"


def cancelled(order: Mapping[str, Any] | None) -> str:
    if order is None:
        return "Oke kak, nggak jadi ya 👍 Ada lagi yang bisa dibantu?"
    return f"Oke kak, pesanan *{order['ref']}* dibatalkan 👍 Ada lagi yang bisa dibantu?"


def cannot_cancel(order: Mapping[str, Any]) -> str:
    return f"Pesanan *{order['ref']}* sudah diproses kak, jadi nggak bisa dibatalkan lagi 🙏"


def balance(saldo: int) -> str:
    return f"Saldo kakak sekarang *{rupiah(saldo)}* 💰"


STATUS_NAMES = {
    "quoted": "menunggu konfirmasi", "confirmed": "menunggu pembayaran", "paid": "sudah dibayar",
    "processing": "sedang diproses ⏳", "success": "berhasil ✅", "failed": "gagal ❌", "refunded": "gagal, dana dikembalikan",
    "expired": "kedaluwarsa", "cancelled": "dibatalkan",
}


def order_status(orders: list[Mapping[str, Any]], ref: str | None) -> str:
    if not orders:
        return (f"Pesanan *{ref}* nggak ketemu kak 🙏 Cek lagi kodenya ya." if ref
                else "Kakak belum punya pesanan 😊 Mau beli apa hari ini?")
    lines = ["Status pesanan kakak:"]
    for o in orders:
        line = f"• *{o['ref']}* — {o['name']} ke {str(o['target']).replace('|', ' / ')}: {STATUS_NAMES.get(o['status'], o['status'])}"
        if o.get("sn") and o["status"] == "success":
            line += f"\n  SN: {o['sn']}"
        lines.append(line)
    return "\n".join(lines)


def complaint(latest: Mapping[str, Any] | None) -> str:
    head = "Maaf banget ya kak atas kendalanya 🙏"
    if latest:
        status = STATUS_NAMES.get(latest["status"], latest["status"])
        return (f"{head}\nPesanan terakhir kakak *{latest['ref']}* ({latest['name']}) statusnya: {status}.\n"
                "Kalau ada yang nggak sesuai, admin kami akan bantu cek dan kalau gagal dananya dikembalikan ke saldo.")
    return f"{head}\nBoleh kirim kode pesanannya (BJ…) biar aku cekkan?"


def deposit_info() -> str:
    return ("Isi saldo lewat QRIS sedang kami siapkan kak 🙏\n"
            "Sementara itu kakak tetap bisa pesan dulu, nanti admin bantu pembayarannya.")


def bill_info() -> str:
    return ("Untuk tagihan (PLN pascabayar, BPJS), kirim ID pelanggannya ya kak.\n"
            "Cek & bayar tagihan otomatis sedang kami siapkan, admin akan bantu dulu 🙏")


def slow_down() -> str:
    return "Pelan-pelan ya kak 🙏 Pesannya banyak banget, aku jawab satu-satu sebentar lagi."


def media_unsupported() -> str:
    return "Maaf kak, aku baru bisa baca pesan teks 🙏 Tulis aja yang mau dibeli ya."


def technical_problem() -> str:
    return "Maaf kak, lagi ada gangguan sebentar 🙏 Coba kirim lagi sebentar lagi ya."


def product_gone() -> str:
    return "Maaf kak, produk itu barusan habis 🙏 Mau aku carikan yang lain?"
