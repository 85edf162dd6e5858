"""Which language to answer in: Indonesian (the default) or English, from one message (pure).

English only when the message is clearly English ("hi, I want to buy 20k credit for my number",
"how much is the 10GB telkomsel package?", "cancel please", "thanks"). Indonesian for Indonesian,
for mixed text ("thank you kak") and whenever unsure. A message with no telling words — ``ok``,
``2``, ``0812…``, ``ya``, ``p``, ``pulsa 10rb``, ``BJ7KQ2M9XH`` — keeps the conversation's previous
language.

Words count in two strengths. Strong words belong to one language only (English ``want``,
``how``, ``the``; Indonesian ``mau``, ``dong``, ``kak``, ``yg``). Weak ones lean one way but are
everyday loanwords or product words on the other side (``ok``, ``cancel``, ``top up`` and
``order`` are said in Indonesian chats; ``pulsa``, ``paket`` and ``saldo`` by English writers in
this shop): they never decide alone. Brand and operator names count for neither.
"""

from __future__ import annotations

import re
from typing import Literal

Lang = Literal["id", "en"]

ENGLISH = frozenset("""
i i'm im i'd i'll i've me my mine you your you're we our us they their it it's its this that these those
the a an is are was were be been being am do does did don't doesn't didn't can can't cannot could would
should will won't shall may might must want wanna need needs like buy buying bought get getting got send
sent check checking how much many what what's which when where why who whom whose there here for to of
with from about into on in at and but or if than then so not please thanks thank thankyou sorry
good morning afternoon evening night price prices cost costs cheap cheaper cheapest expensive less
number phone credit package packages plan bundle electricity bill bills balance receipt history help
have has already yet still just also only again any some anything something all more now today tomorrow
yesterday later bye goodbye wrong right correct instead other another sure great nice cool same sell selling
know give make see look find show tell say let come try use using wait waiting work working arrive arrived
receive received money recharge reload hasn't haven't isn't aren't wasn't weren't couldn't
""".split())
ENGLISH_WEAK = frozenset("ok okay yes yep yeah no nope hi hey hello pls plz thx ty tq cancel order orders "
                         "top up pay paid under max".split())

INDONESIAN = frozenset("""
mau mo pengen pengin ingin beli beliin belikan isi isiin isikan dong donk deh sih nih kok kak ka kakak kk
min gan sis bang mas mba mbak om bos yg yang gak ga gk nggak ngga ngak enggak engga tidak tdk ndak aja aj
saja berapa brp berapaan harga hrg harganya untuk utk buat ke di dari dan atau sama sm dengan dgn ini itu
saya aku gue gw ku kamu anda ada bisa bs udah udh sudah sdh belum blm belom makasih makasi mksh terima
kasih trims batal batalin batalkan jadi jd nomor nomer nmr cek tolong tlg bayar lagi lg juga jg dulu kirim
kirimin murah termurah bawah dibawah apa gimana gmn bagaimana kenapa knp kapan mana bukan selamat pagi
siang sore malam halo hallo hai assalamualaikum tagihan listrik ribu rebu rb jt juta pakai pake mohon punya
minta kode struk struknya riwayat lihat liat tunggu sebentar bentar masuk gagal berhasil sampai sampe yah
kan tapi tp banget bgt terus trus lalu baru dah loh lho kah apakah adakah tersedia kuotanya nya mutasi
depo pesan pesanan pesananku orderan transaksi nanti usah salah ketik maksud maksudnya kirain
bener benar betul sip siap mantap gitu begitu gini kayak kyk kaya coba cuma cuman hanya lebih kurang semua
lain baik bagus sekarang skrg tadi besok kemarin hari minggu bulan tahun jam menit sekalian ganti tukar
kalau kalo klo soalnya karena krn biar supaya agar masih mah wkwk wkwkwk terimakasih mksih tanya nanya
""".split())
INDONESIAN_WEAK = frozenset("pulsa paket paketan kuota saldo token".split())

_WORD = re.compile(r"(?<![\w'])[a-z]+(?:'[a-z]+)?(?![\w'])")


def _indonesian(word: str) -> bool:
    """A strong Indonesian word, or one with the ``-nya`` suffix (``harganya``, ``nomornya``)."""
    return word in INDONESIAN or (len(word) >= 5 and word.endswith("nya"))


def _scores(text: str) -> tuple[int, int, int, int]:
    """(strong English, weak English, strong Indonesian, weak Indonesian) word counts."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    return (sum(w in ENGLISH for w in words), sum(w in ENGLISH_WEAK for w in words),
            sum(_indonesian(w) for w in words), sum(w in INDONESIAN_WEAK for w in words))


def detect(text: str, previous: str | None = None) -> Lang:
    """``"en"`` when ``text`` is clearly English, ``"id"`` when it is Indonesian or mixed, and
    ``previous`` (default ``"id"``) when it says nothing either way."""
    keep: Lang = "en" if previous == "en" else "id"
    en, en_weak, id_, id_weak = _scores(text or "")
    if en == 0 and id_ == 0:
        return keep  # "ok", "2", "0812…", "pulsa 10rb": no telling word
    if id_ == 0:
        return "en"  # English words and maybe a product word ("how much is paket 10gb")
    if en == 0:
        return "id"
    # both: English only when it clearly outweighs a stray Indonesian word
    english, indonesian = en + en_weak / 2, id_ + id_weak / 2
    return "en" if en >= 3 and english >= 3 * indonesian else "id"
