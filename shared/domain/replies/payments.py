"""Paying: QRIS / e-wallet / VA checkouts, saldo payments and deposits, and what a payment did."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from shared.domain.replies.common import DEFAULT_LANG, attr, local_time, pick, rupiah

METHOD_NAMES = {"QRIS": "QRIS", "DANA": "DANA", "OVO": "OVO", "SHOPEEPAY": "ShopeePay", "LINKAJA": "LinkAja",
                "BCA": "VA BCA", "BRI": "VA BRI"}


def _refs(refs: Sequence[str]) -> str:
    return ", ".join(f"*{r}*" for r in refs)


def _orders_are(refs: Sequence[str], *, bold: bool = True) -> str:
    """English ``Order *BJ1* is`` / ``Orders *BJ1*, *BJ2* are``."""
    listed = _refs(refs) if bold else ", ".join(refs)
    return f"Orders {listed} are" if len(refs) > 1 else f"Order {listed} is"


def purpose_order(refs: Sequence[str], *, lang: str = DEFAULT_LANG) -> str:
    """What a checkout pays for, orders: ``pesanan BJ…, BJ…``."""
    listed = ", ".join(refs)
    return pick(lang, f"pesanan {listed}", f"order{'s' if len(refs) > 1 else ''} {listed}")


def purpose_deposit(amount: int, *, lang: str = DEFAULT_LANG) -> str:
    """What a checkout pays for, a deposit: ``isi saldo Rp50.000`` (``amount`` is what is credited)."""
    return pick(lang, f"isi saldo {rupiah(amount)}", f"a {rupiah(amount)} saldo top-up")


def checkout(payment: Any, *, purpose: str, zone: str, lang: str = DEFAULT_LANG) -> str:
    """A checkout to pay: the amount (and a fee the customer carries), how to pay, until when.
    ``purpose`` comes from :func:`purpose_order` / :func:`purpose_deposit` in the same language."""
    expires, fee = attr(payment, "expires_at"), attr(payment, "fee")
    customer_fee = attr(payment, "fee_payer") == "customer" and fee
    amount, ref = rupiah(attr(payment, "amount")), attr(payment, "ref")
    qr, url, account = attr(payment, "qr_string"), attr(payment, "url"), attr(payment, "account")
    if lang == "en":
        until = f" Valid until {local_time(expires, zone, lang=lang)}." if expires else ""
        fee_text = f" (including a {rupiah(fee)} fee)" if customer_fee else ""
        how = ("Scan the QRIS above with any m-banking or e-wallet app 📲" if qr
               else f"Pay through this link: {url}" if url else f"Transfer to virtual account {account or '-'}")
        return (f"Total to pay *{amount}*{fee_text} for {purpose}.\n{how}\n"
                f"Payment code: {ref}.{until}\nOnce it's paid, I'll process it automatically.")
    until = f" Berlaku sampai {local_time(expires, zone)}." if expires else ""
    fee_text = f" (sudah termasuk biaya {rupiah(fee)})" if customer_fee else ""
    how = ("Scan QRIS di atas pakai m-banking atau e-wallet apa aja 📲" if qr
           else f"Bayar lewat link ini: {url}" if url else f"Transfer ke virtual account {account or '-'}")
    return (f"Total bayar *{amount}*{fee_text} untuk {purpose}.\n{how}\n"
            f"Kode bayar: {ref}.{until}\nSetelah bayar, otomatis aku proses ya kak.")


def qris_out_of_range(limits: Mapping[str, Any], saldo: int, *, lang: str = DEFAULT_LANG) -> str:
    amount, top, low = int(limits.get("amount") or 0), limits.get("max"), limits.get("min")
    if top and amount > int(top):
        return pick(lang,
                    f"Total bayarnya {rupiah(amount)} kak, lewat batas QRIS {rupiah(int(top))} sekali bayar 🙏\n"
                    "Pecah jadi beberapa pesanan, atau isi saldo dulu lalu bayar pakai saldo ya.",
                    f"The total is {rupiah(amount)}, above the QRIS limit of {rupiah(int(top))} per payment 🙏\n"
                    "Split it into several orders, or top up your saldo first and pay with saldo.")
    if lang == "en":
        return (f"The total is {rupiah(amount)}, below the QRIS minimum of {rupiah(int(low or 0))} 🙏\n"
                + (f"Just pay with saldo (you have {rupiah(saldo)})." if saldo >= amount
                   else "Top up your saldo first (e.g. _deposit 20k_), then pay with saldo."))
    return (f"Total bayarnya {rupiah(amount)} kak, di bawah minimal QRIS {rupiah(int(low or 0))} 🙏\n"
            + (f"Bayar pakai saldo aja ya (saldo kakak {rupiah(saldo)})." if saldo >= amount
               else "Isi saldo dulu (contoh: _depo 20rb_), nanti bayar pakai saldo ya."))


def deposit_amount_needed(*, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, "Mau isi saldo berapa kak? Contoh: _depo 50rb_ (bayar pakai QRIS).",
                "How much saldo would you like to add? E.g. _deposit 50k_ (paid by QRIS).")


def deposit_out_of_range(method: str, amount: int, low: int, high: int, *, lang: str = DEFAULT_LANG) -> str:
    how = METHOD_NAMES.get(method, method)
    if amount > high:
        return pick(lang,
                    f"Isi saldo lewat {how} maksimal *{rupiah(high)}* sekali isi kak (batasnya sudah termasuk biaya) 🙏\n"
                    f"Mau isi {rupiah(high)} aja, atau dibagi jadi beberapa kali?",
                    f"A top-up via {how} is at most *{rupiah(high)}* at a time (fees included) 🙏\n"
                    f"Top up {rupiah(high)} instead, or split it into several top-ups?")
    return pick(lang, f"Isi saldo lewat {how} minimal *{rupiah(low)}* kak 😊 Mau isi berapa?",
                f"A top-up via {how} is at least *{rupiah(low)}* 😊 How much would you like?")


def deposit_ask_phone(method: str, amount: int, *, lang: str = DEFAULT_LANG) -> str:
    how = METHOD_NAMES.get(method, method)
    return pick(lang, f"Siap kak, isi saldo {rupiah(amount)} lewat {how}. Nomor HP yang terdaftar di {how}-nya berapa? "
                      "Kalau nomor ini, balas *nomor ini* aja.",
                f"Sure, a {rupiah(amount)} top-up via {how}. What's the phone number registered with {how}? "
                "For this number, just reply *this number*.")


def deposit_refused(method: str, *, lang: str = DEFAULT_LANG) -> str:
    how = METHOD_NAMES.get(method, method)
    return pick(lang, f"Maaf kak, isi saldo lewat {how} lagi nggak bisa dipakai 🙏 "
                      "Coba pakai QRIS aja ya (contoh: _depo 50rb_).",
                f"Sorry, top-ups via {how} aren't available right now 🙏 Try QRIS instead (e.g. _deposit 50k_).")


def paid_from_saldo(orders: Sequence[Any], saldo: int, *, lang: str = DEFAULT_LANG) -> str:
    refs = [attr(o, "ref") for o in orders]
    return pick(lang, f"Pembayaran dari saldo berhasil ✅ (sisa saldo {rupiah(saldo)})\n"
                      f"Pesanan {_refs(refs)} lagi diproses ⏳ Nanti aku kabari hasilnya ya kak.",
                f"Paid from your saldo ✅ ({rupiah(saldo)} left)\n"
                f"{_orders_are(refs)} being processed ⏳ I'll let you know how it goes.")


def insufficient_saldo(total: int, saldo: int, *, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, f"Saldo kakak {rupiah(saldo)}, kurang {rupiah(total - saldo)} untuk pesanan ini 🙏\n"
                      "Balas *QRIS* untuk bayar pakai QRIS, atau isi saldo dulu (contoh: _depo 50rb_).",
                f"Your saldo is {rupiah(saldo)}, {rupiah(total - saldo)} short for this order 🙏\n"
                "Reply *QRIS* to pay by QRIS, or top up your saldo first (e.g. _deposit 50k_).")


def payment_waiting(ref: str | None, *, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, f"Pembayaran *{ref}* belum masuk kak 🙏 Kalau sudah bayar, tunggu sebentar ya, "
                      "nanti otomatis aku kabari.",
                f"Payment *{ref}* hasn't come in yet 🙏 If you've already paid, give it a moment, "
                "I'll tell you as soon as it arrives.")


def payment_closed(ref: str, status: str, *, lang: str = DEFAULT_LANG) -> str:
    if status == "paid":
        return pick(lang, f"Pembayaran *{ref}* sudah diterima kak ✅", f"Payment *{ref}* has been received ✅")
    return pick(lang, f"Pembayaran *{ref}* sudah ditutup (kedaluwarsa/dibatalkan) kak. Kalau masih mau, pesan lagi ya 😊",
                f"Payment *{ref}* is closed (expired/cancelled). If you still want it, just order again 😊")


def payment_received(payment: Any, refs: Sequence[str], *, lang: str = DEFAULT_LANG) -> str:
    amount = rupiah(attr(payment, "amount"))
    return pick(lang, f"Pembayaran *{amount}* sudah diterima ✅\nPesanan {_refs(refs)} lagi diproses ⏳",
                f"Payment of *{amount}* received ✅\n{_orders_are(refs)} being processed ⏳")


def deposit_received(payment: Any, saldo: int | None, *, lang: str = DEFAULT_LANG) -> str:
    amount = rupiah(attr(payment, "credited") or attr(payment, "amount"))
    if lang == "en":
        after = f" Your saldo is now *{rupiah(saldo)}*." if saldo is not None else ""
        return f"Saldo top-up of *{amount}* successful ✅{after}"
    after = f" Saldo sekarang *{rupiah(saldo)}*." if saldo is not None else ""
    return f"Isi saldo *{amount}* berhasil ✅{after}"


def late_payment(payment: Any, refs: Sequence[str], saldo: int | None, *, lang: str = DEFAULT_LANG) -> str:
    """Money came in for orders that expired meanwhile: it stays in saldo."""
    amount, listed = rupiah(attr(payment, "amount")), ", ".join(refs)
    if lang == "en":
        after = f" (your saldo is now {rupiah(saldo)})" if saldo is not None else ""
        which = f"order {listed} had" if len(refs) == 1 else f"orders {listed} had all"
        return (f"Your payment of *{amount}* came in, but {which} already expired 🙏\n"
                f"The money is safe in your saldo{after}. Want to order again? It'll be paid from saldo.")
    after = f" (saldo sekarang {rupiah(saldo)})" if saldo is not None else ""
    return (f"Pembayaran *{amount}* masuk, tapi pesanan {listed} sudah kedaluwarsa 🙏\n"
            f"Dananya aman, sudah masuk ke saldo kakak{after}. Mau pesan lagi? Nanti dibayar dari saldo.")


def checkout_expired(payment: Any, *, lang: str = DEFAULT_LANG) -> str:
    ref = attr(payment, "ref")
    return pick(lang, f"Pembayaran *{ref}* sudah kedaluwarsa dan dibatalkan kak.\n"
                      "Kalau masih mau, kirim lagi pesanannya ya 😊",
                f"Payment *{ref}* has expired and was cancelled.\nIf you still want it, just send your order again 😊")


def supplier_busy(*, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, "Maaf kak, sistem pembayaran lagi sibuk 🙏 Coba beberapa saat lagi ya.",
                "Sorry, the payment system is busy right now 🙏 Please try again in a little while.")
