"""Where a product goes: phone numbers, PLN meters, game ids — read, normalized and checked.

Atlantic wants a mobile number as ``08…``, a PLN meter number (11 digits) or IDPEL (12 digits),
a Mobile Legends id as ``userId|zoneId`` and other game ids as digits. ``"self"`` stands for the
customer's own WhatsApp number ("nomor ini", "ke nomor saya"). A Mobile Legends user id sent
without its zone is kept as ``userId|`` until the zone arrives (:func:`find_zone`).
"""

from __future__ import annotations

import re

SELF = "self"

_PHONE = re.compile(r"(?<![\d])(?:\+?62[\s\-.]?|0)(8[\d\s\-.]{7,15}\d)(?![\d])")
# "12345678 (1234)", "12345678|1234", "12345678/1234", "id 12345678 server 1234", "12345678 zone: 1234"
_ZONE_WORD = r"(?:zone\s*id|zone|zona|server\s*id|server|srv|sv|sid)"
_ML = re.compile(rf"(?<![\d])(\d{{5,12}})\s*(?:[(|/,\-]|\s)\s*(?:{_ZONE_WORD}\s*[:=.]?\s*)?\(?\s*(\d{{3,5}})\s*\)?(?![\d])", re.I)
ZONE_WORD = re.compile(rf"\b{_ZONE_WORD}\b")
_ZONE = re.compile(rf"^\D*?(?:{_ZONE_WORD}\s*[:=.]?\s*)?\(?\s*(\d{{3,5}})\s*\)?\D*$")
_USER_ID = re.compile(r"(?<![\d])(\d{5,12})(?![\d])")
_DIGITS = re.compile(r"(?<![\d])(\d{6,16})(?![\d])")
_SELF = re.compile(r"\b(nomor|nomer|no|nmr|nmor)\s*(ini|ku|saya|aku|sendiri|gue|gw|wa)\b|\bnomorku\b|\bnomerku\b"
                   r"|\bnomor\s+(yang\s+)?(lagi\s+)?(dipakai|chat)\b|\b(this|my own|my) (number|phone)\b")


def normalize_phone(raw: str) -> str | None:
    """``+62 812-3456-7890`` / ``0812 3456 7890`` → ``081234567890``; ``None`` if not a mobile number."""
    digits = re.sub(r"[\s\-.]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    if re.fullmatch(r"08[1-35-9]\d{7,10}", digits):
        return digits
    return None


def self_phone(wa_id: str | None) -> str | None:
    """The customer's own WhatsApp number (``628…``) as a target (``08…``)."""
    return normalize_phone(wa_id) if wa_id else None


def find_phones(text: str) -> list[str]:
    """Every mobile number in ``text``, in order, without repeats."""
    found: list[str] = []
    for match in _PHONE.finditer(text):
        phone = _phone_in(match.group(0))
        if phone and phone not in found:
            found.append(phone)
    return found


def _phone_in(written: str) -> str | None:
    """The number in a match that may have run on into an amount ("0812… 25rb" matched "0812… 25"):
    the longest prefix, cut at a space, that is a mobile number."""
    while True:
        phone = normalize_phone(written)
        parts = written.strip().rsplit(None, 1)
        if phone or len(parts) < 2:
            return phone
        written = parts[0]


def strip_phones(text: str) -> str:
    """``text`` without its mobile numbers (whose operator is a hint, not a word the customer said)."""
    for phone in find_phones(text):
        text = re.sub(r"[\s\-.]*".join(re.escape(d) for d in phone[1:]), " ", text, count=1)
    return re.sub(r"(?:\+?62|\b0)\s(?=\s)", " ", text)


def find_phone(text: str) -> str | None:
    phones = find_phones(text)
    return phones[0] if phones else None


def find_target(text: str, *, category: str | None = None, provider: str | None = None) -> str | None:
    """The target written in ``text`` for a product of ``category``/``provider`` (or any kind)."""
    lowered = text.lower()
    if _SELF.search(lowered) and not (find_phones(text) and category not in ("pln", "bill", "game")):
        return SELF  # "ke nomorku 0812…" names the number: that one, not the WhatsApp sender's
    if category == "game" or provider in ("MOBILE LEGENDS",):
        ml = _ML.search(text)
        if ml and provider in (None, "MOBILE LEGENDS"):
            return f"{ml.group(1)}|{ml.group(2)}"
        if provider == "MOBILE LEGENDS":
            user = _USER_ID.search(text)
            return f"{user.group(1)}|" if user else None  # the zone is still to come
        plain = _DIGITS.search(text)
        return plain.group(1) if plain and category == "game" else None
    phone = find_phone(text)
    if phone and category not in ("pln", "bill"):
        return phone
    if category in (None, "pln", "bill"):
        number = _DIGITS.search(re.sub(r"[\s\-]", "", text))
        if number and not number.group(1).startswith("08"):
            return number.group(1)
    return phone


def find_numbers(text: str) -> list[str]:
    """Every meter, IDPEL or customer number in ``text`` (digit runs that are not mobile numbers)."""
    found: list[str] = []
    for match in _DIGITS.finditer(text):
        if not match.group(1).startswith("08") and match.group(1) not in found:
            found.append(match.group(1))
    return found


def find_zone(text: str) -> str | None:
    """A Mobile Legends zone sent on its own: "2126", "server 2126", "(2126)", "zone id: 2126"."""
    match = _ZONE.match(text.lower().strip())
    return match.group(1) if match else None


def valid_for(target: str, category: str, provider: str | None = None) -> bool:
    """Whether ``target`` fits a product of ``category`` (before we charge anything)."""
    if category in ("pulsa", "data", "ewallet"):
        return normalize_phone(target) == target
    if category == "pln":
        return bool(re.fullmatch(r"\d{11,12}", target))
    if category == "bill":
        return bool(re.fullmatch(r"\d{8,16}", target))
    if category == "game":
        if provider == "MOBILE LEGENDS":
            return bool(re.fullmatch(r"\d{5,12}\|\d{3,5}", target))
        return bool(re.fullmatch(r"\d{6,16}", target))
    return bool(target.strip())


def kind_of_target(category: str, provider: str | None = None) -> str:
    """What to ask the customer for (the key in the conversation's known targets)."""
    if category in ("pulsa", "data"):
        return "phone"
    if category == "ewallet":
        return f"wallet:{provider}"
    if category == "pln":
        return "meter"
    if category == "game":
        return f"game:{provider}"
    if category == "bill":
        return f"bill:{provider}"
    return "other"
