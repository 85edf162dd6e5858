"""What every reply shares: the language switch, record access, names, money, times, targets, SNs.

Customers read Indonesian by default and English when they write it (``lang="en"``, see
:mod:`shared.domain.language`). Both languages of one message live side by side in the function
that writes it; :func:`pick` chooses. Amounts always go through :func:`rupiah` (``Rp10.000``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from shared.domain.money import rupiah

__all__ = [
    "CATEGORY_NAMES", "CATEGORY_NAMES_EN", "DEFAULT_LANG", "LANGS", "MONTHS", "MONTHS_EN", "WALLET_NAMES",
    "ZONE_NAMES", "attr", "category_name", "describe", "format_sn", "local_time", "moment_of", "pick",
    "provider_name", "rupiah", "show_target", "sn_label", "target_label", "target_line", "wallet_name",
]

LANGS = ("id", "en")
DEFAULT_LANG = "id"


def pick(lang: str, id_text: str, en_text: str) -> str:
    """The text for ``lang``: English for ``"en"``, Indonesian for anything else (the default)."""
    return en_text if lang == "en" else id_text


def attr(record: Any, key: str, default: Any = None) -> Any:
    """``record[key]`` for a mapping, ``record.key`` for an object (``Order``, ``Payment``, a state
    dataclass); ``default`` when it has no such field."""
    if isinstance(record, Mapping):
        return record.get(key, default)
    return getattr(record, key, default)


# -- names ----------------------------------------------------------------------------------------

CATEGORY_NAMES = {
    "pulsa": "pulsa", "data": "paket data", "ewallet": "saldo e-wallet", "pln": "token listrik",
    "game": "top up game", "voucher": "voucher", "bill": "tagihan", "other": "produk",
}
CATEGORY_NAMES_EN = {
    "pulsa": "phone credit", "data": "data package", "ewallet": "e-wallet top-up", "pln": "electricity token",
    "game": "game top-up", "voucher": "voucher", "bill": "bill", "other": "product",
}
WALLET_NAMES = {"DANA": "DANA", "OVO": "OVO", "GOPAY": "GoPay", "SHOPEEPAY": "ShopeePay", "LINKAJA": "LinkAja"}


def category_name(category: str | None, *, lang: str = DEFAULT_LANG) -> str:
    names = CATEGORY_NAMES_EN if lang == "en" else CATEGORY_NAMES
    return names.get(category or "", names["other"])


def provider_name(provider: str) -> str:
    """``TELKOMSEL`` → ``Telkomsel``, ``TRI`` → ``Tri`` (as product names spell them); other short
    names stay as they are (``XL``, ``PLN``)."""
    return str(provider).title() if len(provider) > 3 or provider == "TRI" else provider


def wallet_name(provider: str | None) -> str:
    """``SHOPEEPAY`` → ``ShopeePay``; an unknown wallet keeps its own spelling."""
    return WALLET_NAMES.get(provider or "", provider or "e-wallet")


def describe(query: Mapping[str, Any], *, lang: str = DEFAULT_LANG) -> str:
    """A short description of what was asked: ``paket data TELKOMSEL di bawah Rp20.000``
    (English: ``Telkomsel data package under Rp20.000``)."""
    name = category_name(attr(query, "category"), lang=lang)
    provider = provider_name(attr(query, "provider")) if attr(query, "provider") else None
    parts = [provider, name] if lang == "en" and provider else [name] + ([provider] if provider else [])
    if attr(query, "nominal"):
        parts.append(rupiah(attr(query, "nominal")).replace("Rp", ""))
    if attr(query, "units"):
        parts.append(pick(lang, f"{attr(query, 'units')} diamond", f"{attr(query, 'units')} diamonds"))
    quota = attr(query, "min_quota_gb") or attr(query, "quota_gb")  # a search, or a request (frame.Item)
    if quota:
        parts.append(f"{float(quota):g} GB")
    if attr(query, "max_price"):
        parts.append(pick(lang, f"di bawah {rupiah(attr(query, 'max_price'))}",
                          f"under {rupiah(attr(query, 'max_price'))}"))
    return " ".join(str(p) for p in parts)


# -- times ----------------------------------------------------------------------------------------

# Indonesia's three zones by the names customers use; any other zone shows its own abbreviation.
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Ujung_Pandang": "WITA",
              "Asia/Jayapura": "WIT"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def moment_of(value: Any) -> datetime | None:
    """A stored time as a ``datetime``: kept if it is one, read if ISO text (JSON rows), else ``None``."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def local_time(moment: datetime, zone: str, *, lang: str = DEFAULT_LANG) -> str:
    """``25 Nov 2026 03:15 WIB``: ``moment`` on the shop's clock (``TIMEZONE``)."""
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(zone))
    label = ZONE_NAMES.get(zone) or local.tzname() or zone
    month = (MONTHS_EN if lang == "en" else MONTHS)[local.month - 1]
    return f"{local.day} {month} {local.year} {local:%H:%M} {label}"


# -- targets and serial numbers -------------------------------------------------------------------

def target_label(category: str | None, provider: str | None = None, *, lang: str = DEFAULT_LANG) -> str:
    """What a target is, by product kind: ``Nomor``, ``Nomor meter/IDPEL``, ``No. pelanggan``,
    ``User ID (Zone)``, ``Player ID``, ``ID game``, ``Nomor DANA``…"""
    if category == "pln":
        return pick(lang, "Nomor meter/IDPEL", "Meter no./IDPEL")
    if category == "bill":
        return pick(lang, "No. pelanggan", "Customer no.")
    if category == "ewallet":
        return pick(lang, f"Nomor {wallet_name(provider)}", f"{wallet_name(provider)} number")
    if provider == "MOBILE LEGENDS":
        return "User ID (Zone)"
    if provider == "FREE FIRE":
        return "Player ID"
    if category == "game":
        return pick(lang, "ID game", "Game ID")
    return pick(lang, "Nomor", "Number")


def show_target(target: Any) -> str:
    """A target as customers write it: a Mobile Legends ``12345678|1234`` is ``12345678 (1234)``."""
    text = str(target)
    if "|" not in text:
        return text
    user, _, zone = text.partition("|")
    return f"{user} ({zone})" if zone else user


def target_line(record: Any, *, lang: str = DEFAULT_LANG) -> str:
    """``Nomor meter/IDPEL: 53211000012`` for an order (or quote) record."""
    label = target_label(attr(record, "category"), attr(record, "provider"), lang=lang)
    return f"{label}: {show_target(attr(record, 'target'))}"


def sn_label(category: str | None) -> str:
    """PLN delivers a token, everything else a serial number (the same word in both languages)."""
    return "Token" if category == "pln" else "SN"


def format_sn(sn: str, category: str | None) -> str:
    """A 20-digit PLN token in groups of four (``1234-5678-…``); any other SN as it came."""
    digits = sn.replace(" ", "").replace("-", "")
    if category == "pln" and len(digits) == 20 and digits.isdigit():
        return "-".join(digits[i:i + 4] for i in range(0, 20, 4))
    return sn


# what the messenger sends when a message it renders lacks its own words (its language unknown there)
FALLBACK = {"choose": "Pilih ya kak 👇", "go_on": "Lanjut?", "list_button": "Lihat pilihan", "list_title": "Pilihan",
            "template": "Ada kabar dari toko, balas pesan ini ya kak."}
