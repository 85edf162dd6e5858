"""Everything a customer reads, in one place: casual Indonesian, short lines, WhatsApp formatting.

Keep wording here so it can be reviewed and changed without touching logic. Amounts go through
:func:`shared.domain.money.rupiah` (``Rp10.000``); product names are ``*bold*``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from shared.domain.money import rupiah

CATEGORY_NAMES = {
    "pulsa": "pulsa", "data": "paket data", "ewallet": "saldo e-wallet", "pln": "token listrik",
    "game": "top up game", "voucher": "voucher", "bill": "tagihan", "other": "produk",
}


def greeting(name: str | None, shop: str, *, salam: bool = False) -> str:
    who = f"kak {name.split()[0]}" if name else "kak"
    hello = f"Wa'alaikumsalam {who} 🙏" if salam else f"Halo {who}! 👋"
    return (f"{hello} Selamat datang di *{shop}*.\n"
            "Mau isi apa hari ini? Pulsa, paket data, token listrik, e-wallet, atau top up game 😊")


def about_bot(shop: str) -> str:
    return (f"Iya kak, aku asisten otomatis *{shop}* 🤖 Siap 24 jam: cari produk, kasih harga, "
            "terima bayar QRIS atau saldo, dan kirim token/SN-nya langsung.\n"
            "Kalau ada kendala, ketik *komplain* ya, nanti admin kami yang bantu.")


def help_menu(shop: str) -> str:
    return (f"Ini yang bisa aku bantu di *{shop}* kak:\n"
            "• Beli pulsa / paket data — contoh: _pulsa tsel 25rb_\n"
            "• Token listrik — contoh: _token 50rb 53211000012_\n"
            "• E-wallet — contoh: _dana 100rb ke 0812xxxx_\n"
            "• Top up game — contoh: _ml 86 diamond_\n"
            "• Cari yang pas budget — contoh: _paket xl di bawah 30rb_\n"
            "• Bayar pakai *QRIS* atau *saldo* (isi saldo: _deposit 50rb_)\n"
            "• Cek pesanan (_status BJ…_), _riwayat_, dan _cek saldo_\n"
            "• Ga jadi? Balas *batal* sebelum bayar")


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


QUOTE_BUTTONS = {"qris": "Bayar QRIS", "saldo": "Pakai saldo", "cancel": "Batal"}


def quote_buttons(ref: str, *, saldo_covers: bool) -> list[dict[str, str]]:
    """A quote's reply buttons (ids ``<action>:<ref>``); "Pakai saldo" only when saldo pays it."""
    actions = ["qris", "saldo", "cancel"] if saldo_covers else ["qris", "cancel"]
    return [{"id": f"{a}:{ref}", "title": QUOTE_BUTTONS[a]} for a in actions]


def product_rows(items: Iterable[Mapping[str, Any]], query: Mapping[str, Any], *,
                 alternatives: bool = False) -> dict[str, Any]:
    """A product list as a WhatsApp list message: a short body and one row per product (ids
    ``pick:<code>``). The body names no numbers: the bridge numbers the rows for its customers."""
    head = (f"Maaf kak, {describe(query)} lagi kosong 🙏 Ini yang terdekat." if alternatives
            else f"Ini pilihan {describe(query)} kak.")
    rows = [{"id": f"pick:{item['code']}", "title": str(item["name"]),
             "description": rupiah(item["price"])} for item in items]
    return {"body": f"{head} Pilih salah satu ya 😊", "button": "Lihat pilihan", "title": "Produk", "rows": rows}


def quote_expired(order: Mapping[str, Any]) -> str:
    return (f"Waduh, penawaran *{order['ref']}* sudah kedaluwarsa kak 🙏\n"
            "Harga bisa berubah, sebut lagi produknya ya biar aku cekkan yang terbaru.")


def already_paid(orders: list[Mapping[str, Any]]) -> str:
    """A confirmation (or "pakai saldo") for orders that are paid: how each stands, nothing charged."""
    if not orders:
        return nothing_to_confirm()
    lines = []
    for o in orders:
        status = o.get("status")
        if status == "success":
            sn = f" {'Token' if o.get('category') == 'pln' else 'SN'}: *{format_sn(o['sn'], o.get('category'))}*" \
                if o.get("sn") else ""
            lines.append(f"Pesanan *{o['ref']}* sudah berhasil ✅{sn}")
        elif status == "refunded":
            lines.append(f"Pesanan *{o['ref']}* gagal dan dananya sudah dikembalikan ke saldo kakak 🙏")
        else:
            lines.append(f"Pesanan *{o['ref']}* sudah dibayar ✅ dan lagi diproses ⏳")
    tail = "Nanti aku kabari begitu selesai ya kak." if any(o.get("status") not in ("success", "refunded")
                                                            for o in orders) else "Ada lagi yang bisa dibantu kak? 😊"
    return "\n".join(lines + [tail])


def thanks(orders: list[Mapping[str, Any]]) -> str:
    busy = [o for o in orders if o.get("status") in ("paid", "processing")]
    if busy:
        return f"Sama-sama kak 🙏 Pesanan *{busy[-1]['ref']}* lagi diproses, nanti aku kabari ya."
    return "Sama-sama kak 😊 Kalau butuh pulsa, paket data atau token lagi, chat aja ya."


def payment_waiting(ref: str | None) -> str:
    return (f"Pembayaran *{ref}* belum masuk kak 🙏 Kalau sudah bayar, tunggu sebentar ya, "
            "nanti otomatis aku kabari.")


def payment_closed(ref: str, status: str) -> str:
    if status == "paid":
        return f"Pembayaran *{ref}* sudah diterima kak ✅"
    return f"Pembayaran *{ref}* sudah ditutup (kedaluwarsa/dibatalkan) kak. Kalau masih mau, pesan lagi ya 😊"


def qris_out_of_range(limits: Mapping[str, Any], saldo: int) -> str:
    amount, top, low = int(limits.get("amount") or 0), limits.get("max"), limits.get("min")
    if top and amount > int(top):
        return (f"Total bayarnya {rupiah(amount)} kak, lewat batas QRIS {rupiah(int(top))} sekali bayar 🙏\n"
                "Pecah jadi beberapa pesanan, atau isi saldo dulu lalu bayar pakai saldo ya.")
    return (f"Total bayarnya {rupiah(amount)} kak, di bawah minimal QRIS {rupiah(int(low or 0))} 🙏\n"
            + (f"Bayar pakai saldo aja ya (saldo kakak {rupiah(saldo)})." if saldo >= amount
               else "Isi saldo dulu (contoh: _depo 20rb_), nanti bayar pakai saldo ya."))


METHOD_NAMES = {"QRIS": "QRIS", "DANA": "DANA", "OVO": "OVO", "SHOPEEPAY": "ShopeePay", "LINKAJA": "LinkAja",
                "BCA": "VA BCA", "BRI": "VA BRI"}


def deposit_out_of_range(method: str, amount: int, low: int, high: int) -> str:
    how = METHOD_NAMES.get(method, method)
    if amount > high:
        return (f"Isi saldo lewat {how} maksimal *{rupiah(high)}* sekali isi kak (batasnya sudah termasuk biaya) 🙏\n"
                f"Mau isi {rupiah(high)} aja, atau dibagi jadi beberapa kali?")
    return f"Isi saldo lewat {how} minimal *{rupiah(low)}* kak 😊 Mau isi berapa?"


def deposit_ask_phone(method: str, amount: int) -> str:
    how = METHOD_NAMES.get(method, method)
    return (f"Siap kak, isi saldo {rupiah(amount)} lewat {how}. Nomor HP yang terdaftar di {how}-nya berapa? "
            "Kalau nomor ini, balas *nomor ini* aja.")


def deposit_refused(method: str) -> str:
    how = METHOD_NAMES.get(method, method)
    return (f"Maaf kak, isi saldo lewat {how} lagi nggak bisa dipakai 🙏 "
            "Coba pakai QRIS aja ya (contoh: _depo 50rb_).")


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
            line += f"\n  {'Token' if o.get('category') == 'pln' else 'SN'}: {format_sn(o['sn'], o.get('category'))}"
        lines.append(line)
    return "\n".join(lines)


def complaint(latest: Mapping[str, Any] | None) -> str:
    head = "Maaf banget ya kak atas kendalanya 🙏"
    if latest:
        status = STATUS_NAMES.get(latest["status"], latest["status"])
        return (f"{head}\nPesanan terakhir kakak *{latest['ref']}* ({latest['name']}) statusnya: {status}.\n"
                "Kalau ada yang nggak sesuai, admin kami akan bantu cek dan kalau gagal dananya dikembalikan ke saldo.")
    return f"{head}\nBoleh kirim kode pesanannya (BJ…) biar aku cekkan?"


def slow_down() -> str:
    return "Pelan-pelan ya kak 🙏 Pesannya banyak banget, aku jawab satu-satu sebentar lagi."


def media_unsupported(kind: str | None = None) -> str:
    what = {"location": "lokasi", "audio": "pesan suara", "image": "gambar", "video": "video",
            "document": "dokumen"}.get(kind or "")
    head = f"Makasih kak, tapi aku belum bisa buka {what} 🙏" if what else "Maaf kak, aku baru bisa baca pesan teks 🙏"
    return f"{head}\nTulis aja yang mau dibeli ya, contoh: _pulsa tsel 25rb ke 0812xxxx_"


def stale_button(ref: str) -> str:
    return (f"Pesanan *{ref}* sudah diganti atau nggak berlaku lagi kak 🙏\n"
            "Cek rincian yang terbaru di atas ya, atau sebut lagi produknya.")


def stale_list() -> str:
    return "Daftar itu sudah nggak berlaku kak 🙏 Sebut lagi produknya ya, nanti aku carikan yang terbaru."


def technical_problem() -> str:
    return "Maaf kak, lagi ada gangguan sebentar 🙏 Coba kirim lagi sebentar lagi ya."


def product_gone() -> str:
    return "Maaf kak, produk itu barusan habis 🙏 Mau aku carikan yang lain?"


# -- paying, fulfilment and notifications -------------------------------------------------------

# Indonesia's three zones by the names customers use; any other zone shows its own abbreviation.
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Ujung_Pandang": "WITA",
              "Asia/Jayapura": "WIT"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def local_time(moment: datetime, zone: str) -> str:
    """``25 Nov 2026 03:15 WIB``: ``moment`` on the shop's clock (``TIMEZONE``)."""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(zone))
    label = ZONE_NAMES.get(zone) or local.tzname() or zone
    return f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H:%M} {label}"


def _target(order: Mapping[str, Any]) -> str:
    label = {"pln": "Meter", "game": "ID", "bill": "ID pelanggan"}.get(order.get("category") or "", "Nomor")
    return f"{label}: {str(order['target']).replace('|', ' / ')}"


def pay_hint(total: int, saldo: int) -> str:
    if saldo >= total:
        return f"Dibayar dari saldo kakak ({rupiah(saldo)}). Balas *YA* untuk bayar, atau *QRIS* kalau mau bayar pakai QRIS."
    return f"Saldo kakak {rupiah(saldo)}, jadi bayarnya pakai *QRIS*. Balas *YA* untuk lanjut atau *BATAL*."


def duplicate_warning(recent: Mapping[str, Any]) -> str:
    minutes = int(recent["minutes"])
    when = f"{minutes} menit lalu" if minutes >= 1 else "barusan"
    return f"⚠️ Kakak baru beli yang sama {when} ({recent['ref']}). Yakin beli lagi?"


def quote_batch(orders: list[Mapping[str, Any]], ttl_minutes: int, saldo: int) -> str:
    """One confirmation for one or several orders (several targets in one request)."""
    total = sum(int(o["price"]) for o in orders)
    lines = ["Siap kak, ini rinciannya 🧾"]
    for o in orders:
        lines += [f"*{o['name']}*", _target(o), f"Harga: *{rupiah(o['price'])}*", f"Kode: {o['ref']}", ""]
    if len(orders) > 1:
        lines.append(f"Total {len(orders)} pesanan: *{rupiah(total)}*")
    for o in orders:
        if o.get("recent_duplicate"):
            lines.append(duplicate_warning(o["recent_duplicate"]))
    lines.append(pay_hint(total, saldo))
    lines.append(f"Harga berlaku {ttl_minutes} menit ya.")
    return "\n".join(lines)


def bill_quote(order: Mapping[str, Any], ttl_minutes: int, saldo: int) -> str:
    bill = order.get("bill") or {}
    periods = ", ".join(bill.get("periods") or []) or "-"
    return (f"Tagihan *{order['name']}* 🧾\n"
            f"ID pelanggan: {order['target']}\n"
            f"Nama: *{bill.get('customer_name') or '-'}*\n"
            f"Periode: {periods}\n"
            f"Tagihan: {rupiah(bill.get('amount') or 0)}\n"
            f"Admin: {rupiah(int(order['price']) - int(bill.get('amount') or 0))}\n"
            f"Total: *{rupiah(order['price'])}*\n"
            f"Kode: {order['ref']}\n\n"
            f"{pay_hint(int(order['price']), saldo)}\nBerlaku {ttl_minutes} menit ya.")


def paid_from_saldo(orders: list[Mapping[str, Any]], saldo: int) -> str:
    refs = ", ".join(f"*{o['ref']}*" for o in orders)
    return (f"Pembayaran dari saldo berhasil ✅ (sisa saldo {rupiah(saldo)})\n"
            f"Pesanan {refs} lagi diproses ⏳ Nanti aku kabari hasilnya ya kak.")


def insufficient_saldo(total: int, saldo: int) -> str:
    return (f"Saldo kakak {rupiah(saldo)}, kurang {rupiah(total - saldo)} untuk pesanan ini 🙏\n"
            "Balas *QRIS* untuk bayar pakai QRIS, atau isi saldo dulu (contoh: _depo 50rb_).")


def checkout(payment: Mapping[str, Any], *, purpose: str, zone: str) -> str:
    until = f" Berlaku sampai {local_time(payment['expires_at'], zone)}." if payment.get("expires_at") else ""
    fee = f" (sudah termasuk biaya {rupiah(payment['fee'])})" if payment.get("fee_payer") == "customer" and payment.get("fee") else ""
    how = ("Scan QRIS di atas pakai m-banking atau e-wallet apa aja 📲" if payment.get("qr_string")
           else f"Bayar lewat link ini: {payment.get('url')}" if payment.get("url")
           else f"Transfer ke virtual account {payment.get('account') or '-'}")
    return (f"Total bayar *{rupiah(payment['amount'])}*{fee} untuk {purpose}.\n{how}\n"
            f"Kode bayar: {payment['ref']}.{until}\nSetelah bayar, otomatis aku proses ya kak.")


def payment_received(payment: Mapping[str, Any], refs: list[str]) -> str:
    return (f"Pembayaran *{rupiah(payment['amount'])}* sudah diterima ✅\n"
            f"Pesanan {', '.join(f'*{r}*' for r in refs)} lagi diproses ⏳")


def deposit_received(payment: Mapping[str, Any], saldo: int | None) -> str:
    after = f" Saldo sekarang *{rupiah(saldo)}*." if saldo is not None else ""
    return f"Isi saldo *{rupiah(payment['credited'] or payment['amount'])}* berhasil ✅{after}"


def late_payment(payment: Mapping[str, Any], refs: list[str], saldo: int | None) -> str:
    after = f" (saldo sekarang {rupiah(saldo)})" if saldo is not None else ""
    return (f"Pembayaran *{rupiah(payment['amount'])}* masuk, tapi pesanan {', '.join(refs)} sudah kedaluwarsa 🙏\n"
            f"Dananya aman, sudah masuk ke saldo kakak{after}. Mau pesan lagi? Nanti dibayar dari saldo.")


def checkout_expired(payment: Mapping[str, Any]) -> str:
    return (f"Pembayaran *{payment['ref']}* sudah kedaluwarsa dan dibatalkan kak.\n"
            "Kalau masih mau, kirim lagi pesanannya ya 😊")


def format_sn(sn: str, category: str | None) -> str:
    digits = sn.replace(" ", "").replace("-", "")
    if category == "pln" and len(digits) == 20 and digits.isdigit():
        return "-".join(digits[i:i + 4] for i in range(0, 20, 4))
    return sn


def receipt(order: Mapping[str, Any], *, zone: str) -> str:
    label = "Token" if order.get("category") == "pln" else "SN"
    when = local_time(order["finished_at"], zone) if order.get("finished_at") else ""
    return (f"✅ *Berhasil!*\n*{order['name']}*\n{_target(order)}\nHarga: {rupiah(order['price'])}\n"
            f"Ref: {order['ref']}\n{label}: *{format_sn(order['sn'] or '-', order.get('category'))}*\n{when}").rstrip()


def failed_refunded(order: Mapping[str, Any]) -> str:
    reason = f" ({order['failure_reason']})" if order.get("failure_reason") else ""
    fee = int(order.get("fee_paid") or 0)
    back = (f"Dana *{rupiah(order['price'])}* + biaya QRIS *{rupiah(fee)}* (total *{rupiah(int(order['price']) + fee)}*)"
            if fee else f"Dana *{rupiah(order['price'])}*")
    return (f"❌ Maaf kak, *{order['name']}* ke {str(order['target']).replace('|', ' / ')} gagal diproses{reason}.\n"
            f"{back} sudah dikembalikan ke saldo kakak. "
            "Mau coba lagi atau pilih produk lain?")


def still_processing(order: Mapping[str, Any]) -> str:
    return (f"Pesanan *{order['ref']}* ({order['name']}) masih diproses ya kak ⏳\n"
            "Kadang operator butuh beberapa menit. Begitu selesai langsung aku kabari.")


def mutations(rows: list[Mapping[str, Any]], saldo: int) -> str:
    if not rows:
        return f"Saldo kakak *{rupiah(saldo)}*, belum ada mutasi."
    names = {"credit": "Masuk", "debit": "Keluar", "refund": "Refund"}
    lines = [f"Saldo kakak *{rupiah(saldo)}*. Mutasi terakhir:"]
    for r in rows:
        lines.append(f"• {names.get(r['kind'], r['kind'])} {rupiah(abs(int(r['amount'])))} — {r.get('note') or ''}".rstrip(" —"))
    return "\n".join(lines)


def deposit_amount_needed() -> str:
    return "Mau isi saldo berapa kak? Contoh: _depo 50rb_ (bayar pakai QRIS)."


def bill_not_found() -> str:
    return "Tagihannya nggak ketemu atau sudah lunas kak 🙏 Cek lagi ID pelanggannya ya."


def bill_ask_number(provider: str | None) -> str:
    what = {"PLN": "ID pelanggan PLN (12 digit)", "BPJS": "nomor VA BPJS"}.get(provider or "", "ID pelanggan")
    return f"Kirim {what}-nya ya kak, nanti aku cekkan tagihannya."


def supplier_busy() -> str:
    return "Maaf kak, sistem pembayaran lagi sibuk 🙏 Coba beberapa saat lagi ya."


# -- admins ---------------------------------------------------------------------------------------

def admin_escalation(order: Mapping[str, Any]) -> str:
    return (f"[ADMIN] Pesanan {order['ref']} ({order['name']} ke {order['target']}, {rupiah(order['price'])}) masih "
            f"processing sejak lama; Atlantic id: {order.get('atlantic_id') or 'belum ada'}. Mohon dicek manual.")


def admin_conflict(order: Mapping[str, Any], status: str) -> str:
    return (f"[ADMIN] Pesanan {order['ref']} sudah {order['status']}, tapi Atlantic sekarang bilang {status}. "
            "Mohon dicek manual.")


def admin_undelivered(info: Mapping[str, Any]) -> str:
    text = str(info.get("text") or "").replace("\n", " ")
    preview = text if len(text) <= 80 else text[:79] + "…"
    return (f"⚠️ Pesan ke {info['to']} gagal terkirim (kode {info.get('code') or '-'}: {info.get('error') or '-'}).\n"
            f"Isinya: \"{preview}\"\nTolong hubungi pelanggan ini langsung ya.")


def admin_low_balance(balance: int, threshold: int) -> str:
    return f"[ADMIN] Saldo Atlantic tinggal {rupiah(balance)} (batas {rupiah(threshold)}). Segera deposit ya."
