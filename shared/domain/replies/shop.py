"""The shop's manners: greetings, who we are, the menu, thanks, and the gentle "I didn't get that"."""

from __future__ import annotations

from typing import Any, Sequence

from shared.domain.replies.common import DEFAULT_LANG, attr, pick


def salam_back(name: str | None, *, lang: str = DEFAULT_LANG) -> str:
    """A salam that opened a message with a request: answered in kind before the answer."""
    first = name.split()[0] if name and name.split() else None
    if lang == "en":
        return f"Wa'alaikumsalam{' ' + first if first else ''} 🙏"
    return f"Wa'alaikumsalam kak{' ' + first if first else ''} 🙏"


def greeting(name: str | None, shop: str, *, salam: bool = False, lang: str = DEFAULT_LANG) -> str:
    first = name.split()[0] if name and name.split() else None
    if lang == "en":
        hello = (f"Wa'alaikumsalam{' ' + first if first else ''} 🙏" if salam
                 else f"Hi{' ' + first if first else ''}! 👋")
        return (f"{hello} Welcome to *{shop}*.\n"
                "What can I top up for you today? Phone credit, data, electricity tokens, e-wallets or game top-ups 😊")
    who = f"kak {first}" if first else "kak"
    hello = f"Wa'alaikumsalam {who} 🙏" if salam else f"Halo {who}! 👋"
    return (f"{hello} Selamat datang di *{shop}*.\n"
            "Mau isi apa hari ini? Pulsa, paket data, token listrik, e-wallet, atau top up game 😊")


def about_bot(shop: str, *, lang: str = DEFAULT_LANG) -> str:
    return pick(lang,
                f"Iya kak, aku asisten otomatis *{shop}* 🤖 Siap 24 jam: cari produk, kasih harga, "
                "terima bayar QRIS atau saldo, dan kirim token/SN-nya langsung.\n"
                "Kalau ada kendala, ketik *komplain* ya, nanti admin kami yang bantu.",
                f"Yes, I'm *{shop}*'s automated assistant 🤖 Here 24/7: I find products, give prices, "
                "take payment by QRIS or saldo, and send your token/SN right away.\n"
                "If anything goes wrong, type *complain* and our admin will help.")


def help_menu(shop: str, *, lang: str = DEFAULT_LANG) -> str:
    if lang == "en":
        return (f"Here's what I can do at *{shop}*:\n"
                "• Phone credit / data — e.g. _pulsa tsel 25k_\n"
                "• Electricity token — e.g. _token 50k 53211000012_\n"
                "• E-wallet — e.g. _dana 100k to 0812xxxx_\n"
                "• Game top-up — e.g. _ml 86 diamonds_\n"
                "• Something within budget — e.g. _xl data under 30k_\n"
                "• Pay by *QRIS* or *saldo* (top up saldo: _deposit 50k_)\n"
                "• Check orders (_status BJ…_), _history_ and _saldo_\n"
                "• Changed your mind? Reply *cancel* before paying")
    return (f"Ini yang bisa aku bantu di *{shop}* kak:\n"
            "• Beli pulsa / paket data — contoh: _pulsa tsel 25rb_\n"
            "• Token listrik — contoh: _token 50rb 53211000012_\n"
            "• E-wallet — contoh: _dana 100rb ke 0812xxxx_\n"
            "• Top up game — contoh: _ml 86 diamond_\n"
            "• Cari yang pas budget — contoh: _paket xl di bawah 30rb_\n"
            "• Bayar pakai *QRIS* atau *saldo* (isi saldo: _deposit 50rb_)\n"
            "• Cek pesanan (_status BJ…_), _riwayat_, dan _cek saldo_\n"
            "• Ga jadi? Balas *batal* sebelum bayar")


def clarify(*, lang: str = DEFAULT_LANG) -> str:
    """A message we could not read: a light apology and concrete things to try."""
    return pick(lang,
                "Hmm, aku belum nangkep maksudnya kak 🙏 Coba tulis kayak gini ya:\n"
                "• _pulsa tsel 25rb_\n"
                "• _token listrik 50rb_\n"
                "• _paket xl di bawah 30rb_\n"
                "Atau ketik *menu* buat lihat semuanya 😊",
                "Hmm, I didn't quite catch that 🙏 Try something like:\n"
                "• _pulsa tsel 25k_\n"
                "• _token 50k_\n"
                "• _xl data under 30k_\n"
                "Or type *menu* to see everything 😊")


def off_topic(*, lang: str = DEFAULT_LANG) -> str:
    """A question outside the shop (weather, football, homework): a friendly way back."""
    return pick(lang,
                "Hehe, itu di luar keahlianku kak 🙏 Aku cuma bisa bantu pulsa, paket data, token listrik, "
                "e-wallet, top up game, dan bayar tagihan. Ada yang mau diisi? 😊",
                "Ha, that's outside what I can help with 🙏 I can only do phone credit, data packages, "
                "electricity tokens, e-wallets, game top-ups and bills. Anything you'd like to top up? 😊")


def thanks(orders: Sequence[Any], *, lang: str = DEFAULT_LANG) -> str:
    busy = [o for o in orders if attr(o, "status") in ("paid", "processing")]
    if busy:
        ref = attr(busy[-1], "ref")
        return pick(lang, f"Sama-sama kak 🙏 Pesanan *{ref}* lagi diproses, nanti aku kabari ya.",
                    f"You're welcome 🙏 Order *{ref}* is being processed, I'll let you know.")
    return pick(lang, "Sama-sama kak 😊 Kalau butuh pulsa, paket data atau token lagi, chat aja ya.",
                "You're welcome 😊 Whenever you need credit, data or a token again, just chat.")


def slow_down(*, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, "Pelan-pelan ya kak 🙏 Pesannya banyak banget, aku jawab satu-satu sebentar lagi.",
                "One moment please 🙏 That's a lot of messages, I'll answer them one by one shortly.")


MEDIA_NAMES = {"location": "lokasi", "audio": "pesan suara", "image": "gambar", "video": "video",
               "document": "dokumen"}
MEDIA_NAMES_EN = {"location": "locations", "audio": "voice messages", "image": "images", "video": "videos",
                  "document": "documents"}


def media_unsupported(kind: str | None = None, *, lang: str = DEFAULT_LANG) -> str:
    if lang == "en":
        what = MEDIA_NAMES_EN.get(kind or "")
        head = f"Thanks, but I can't open {what} yet 🙏" if what else "Sorry, I can only read text messages for now 🙏"
        return f"{head}\nJust type what you'd like to buy, e.g. _pulsa tsel 25k to 0812xxxx_"
    what = MEDIA_NAMES.get(kind or "")
    head = f"Makasih kak, tapi aku belum bisa buka {what} 🙏" if what else "Maaf kak, aku baru bisa baca pesan teks 🙏"
    return f"{head}\nTulis aja yang mau dibeli ya, contoh: _pulsa tsel 25rb ke 0812xxxx_"


def technical_problem(*, lang: str = DEFAULT_LANG) -> str:
    return pick(lang, "Maaf kak, lagi ada gangguan sebentar 🙏 Coba kirim lagi sebentar lagi ya.",
                "Sorry, something went wrong on our side 🙏 Please send it again in a moment.")
