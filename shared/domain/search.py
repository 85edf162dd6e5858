"""Understanding a product query written the way customers write on WhatsApp.

``parse_query("ada paket murah ga buat tsel di bawah 20rb?")`` →
``SearchQuery(category="data", provider="TELKOMSEL", max_price=20000, sort="price_asc")``.

Read as: operator and brand words and their slang (tsel, isat, im3, byu, ml, ff, listrik);
amounts (``50rb``, ``25k``, ``100.000``, ``1,5jt``, ``goceng``) as a face value, or as a budget
after a budget cue (``di bawah``, ``budget``, ``maks``, ``cuma punya``) or for products that have
no face value (data packages); ``10gb`` as quota, ``30 hari`` as validity, ``86 diamond`` as
units; ``murah`` / ``paling murah`` as cheapest first; an ``08…`` number as the operator behind
it. Typos are corrected against the known vocabulary (``kuta`` → kuota, ``tokn listrk`` → token
listrik), never for common chat words. Words left over become free-text terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from shared.domain import vocab

_NUMBER = r"\d+(?:[.,]\d+)*"
_TOKEN = re.compile(rf"\+?{_NUMBER}[a-z]*|[a-z][a-z0-9._\-]*[a-z0-9]|[a-z]")
_FACE_VALUE_CATEGORIES = frozenset({"pulsa", "ewallet", "pln", "voucher"})


@dataclass(frozen=True)
class SearchQuery:
    """Structured filters for the catalog search; ``None`` means "any"."""

    category: str | None = None
    provider: str | None = None
    nominal: int | None = None
    max_price: int | None = None
    min_quota_gb: Decimal | None = None
    min_validity_days: int | None = None
    units: int | None = None
    sort: str = "relevance"  # relevance | price_asc | price_desc
    terms: tuple[str, ...] = ()
    target: str | None = None
    corrections: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def structured(self) -> bool:
        """Whether anything besides free text narrows the search."""
        return any(v is not None for v in (self.category, self.provider, self.nominal, self.max_price,
                                           self.min_quota_gb, self.min_validity_days, self.units))


def parse_amount(token: str) -> int | None:
    """``50rb`` → 50000, ``25k`` → 25000, ``100.000`` → 100000, ``1,5jt`` → 1500000, ``goceng`` → 5000.

    A bare number is rupiah only from 1.000 up (``10`` alone is not an amount here).
    """
    if token in vocab.SLANG_AMOUNTS:
        return vocab.SLANG_AMOUNTS[token]
    match = re.fullmatch(rf"({_NUMBER})([a-z]*)", token)
    if not match:
        return None
    digits, unit = match.groups()
    if unit and unit not in vocab.MULTIPLIERS:
        return None
    if unit:
        value = Decimal(digits.replace(",", "."))  if digits.count(",") + digits.count(".") <= 1 else None
        if value is None:
            return None
        return int(value * vocab.MULTIPLIERS[unit])
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):  # 100.000 / 1.000.000
        return int(digits.replace(".", ""))
    if digits.isdigit() and 1_000 <= int(digits) <= 10_000_000 and not digits.startswith("0"):
        return int(digits)
    return None


def _correct(token: str) -> str | None:
    """The vocabulary word a typo most likely meant, or ``None``."""
    if token in vocab.VOCABULARY or token in vocab.STOPWORDS or len(token) < 3 or not token.isalpha():
        return None
    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein

    max_distance = 1 if len(token) <= 5 else 2
    candidates = process.extract(token, vocab.VOCABULARY, scorer=DamerauLevenshtein.distance,
                                 score_cutoff=max_distance, limit=None)
    # a correction keeps the first letter (typos rarely hit it; "ada" must not become "dana"),
    # and a short token never becomes an even shorter word
    fits = sorted((distance, word) for word, distance, _ in candidates
                  if word[0] == token[0] and not (len(token) <= 4 and len(word) < 4))
    return fits[0][1] if fits else None


def tokenize(text: str) -> list[str]:
    text = vocab.join_phrases(re.sub(r"\s+", " ", text.lower()))
    # keep phone numbers whole: "0812-3456 7890" / "+62 812 3456 7890"
    text = re.sub(r"(?<![\d])((?:\+?62[\s\-]?|0)8[\d\s\-]{8,16}\d)",
                  lambda m: re.sub(r"[\s\-]", "", m.group(1)), text)
    # "50 rb" / "10 gb" / "30 hari" / "86 diamond": glue the unit to its number
    units = "|".join(sorted(set(vocab.MULTIPLIERS) | set(vocab.QUOTA_UNITS), key=len, reverse=True))
    text = re.sub(rf"(\d)\s+({units})\b", r"\1\2", text)
    return _TOKEN.findall(text)


def parse_query(text: str) -> SearchQuery:
    tokens = tokenize(text)
    q = SearchQuery()
    corrections: list[tuple[str, str]] = []
    category_words: list[str] = []
    amounts: list[tuple[int, bool]] = []  # (rupiah, after a budget cue)
    terms: list[str] = []
    budget_cue = 0  # tokens left in which an amount counts as a budget
    bare_numbers: list[int] = []

    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token.endswith("nya") and token[:-3] in vocab.VOCABULARY:
            token = token[:-3]  # "pulsanya", "paketnya", "tokennya"
        fixed = _correct(token)
        if fixed:
            corrections.append((token, fixed))
            token = fixed
        i += 1

        phone = re.fullmatch(r"\+?(?:62|0)(8\d{8,12})", token)
        if phone:
            q = replace(q, target="0" + phone.group(1))
            continue
        if re.fullmatch(r"\d{11,12}", token) and not token.startswith("08"):
            q = replace(q, target=token)  # a meter number / IDPEL
            continue
        quota = re.fullmatch(rf"({_NUMBER})(gb|giga|mb)", token)
        if quota:
            value = Decimal(quota.group(1).replace(",", ".")) * Decimal(str(vocab.QUOTA_UNITS[quota.group(2)]))
            q = replace(q, min_quota_gb=Decimal(int(value)) if value == value.to_integral_value() else value.normalize())
            continue
        if token.isdigit() and nxt in vocab.VALIDITY_UNITS:
            q = replace(q, min_validity_days=int(token) * vocab.VALIDITY_UNITS[nxt])
            i += 1
            continue
        if token.isdigit() and nxt in vocab.ITEM_UNITS:
            q = replace(q, units=int(token))
            category_words.append("game")
            i += 1
            continue
        amount = parse_amount(token)
        if amount is not None:
            amounts.append((amount, budget_cue > 0))
            budget_cue = 0
            continue
        if token == "3" and i >= 2 and tokens[i - 2] in ("pulsa", "paket", "kuota", "data", "kartu"):
            q = replace(q, provider="TRI")  # "pulsa 3 20rb": Tri's brand is the digit 3
            continue
        if token.isdigit():
            bare_numbers.append(int(token))
            continue
        budget_cue = max(0, budget_cue - 1)
        if token in vocab.BUDGET_WORDS:
            budget_cue = 3
        elif token in vocab.SORT_WORDS:
            q = replace(q, sort=vocab.SORT_WORDS[token])
        elif token in vocab.VALIDITY_WORDS:
            q = replace(q, min_validity_days=vocab.VALIDITY_WORDS[token])
        elif token in vocab.PROVIDER_WORDS:
            q = replace(q, provider=vocab.PROVIDER_WORDS[token])
        elif token in vocab.CATEGORY_WORDS:
            category_words.append(vocab.CATEGORY_WORDS[token])
        elif token in vocab.ITEM_UNITS:
            category_words.append("game")
        elif token not in vocab.STOPWORDS and len(token) >= 2 and not token.isdigit():
            terms.append(token)

    q = replace(q, category=_category(q.provider, category_words, q))
    if q.category == "pln" and q.provider is None:
        q = replace(q, provider="PLN")  # only PLN sells electricity tokens
    if q.provider is None and q.target and q.category in (None, "pulsa", "data"):
        q = replace(q, provider=vocab.provider_from_phone(q.target))
    # "diamond ff 140": a bare number in a game query counts diamonds
    if q.category == "game" and q.units is None and bare_numbers:
        q = replace(q, units=bare_numbers[0])
    # "pulsa 10" almost surely means 10rb
    if not amounts and bare_numbers and q.category in _FACE_VALUE_CATEGORIES:
        small = [n for n in bare_numbers if 1 <= n <= 1_000]
        if small:
            amounts.append((small[0] * 1_000, False))
    for amount, is_budget in amounts:
        face_value = q.category in _FACE_VALUE_CATEGORIES or (q.category is None and q.units is None)
        if is_budget or not face_value:
            q = replace(q, max_price=amount)
            if not is_budget and q.sort == "relevance":
                q = replace(q, sort="price_desc")  # "paket xl 50rb": the best package for that money
        else:
            q = replace(q, nominal=amount)
    return replace(q, terms=tuple(terms), corrections=tuple(corrections))


def _category(provider: str | None, words: list[str], q: SearchQuery) -> str | None:
    """Our category from the brand and the words used; the brand decides where it can."""
    if "bill" in words or provider in ("BPJS", "INDIHOME"):
        return "bill"
    if provider in vocab.EWALLETS:
        return "ewallet"
    if provider == "PLN":
        return "pln"
    if provider in vocab.GAMES or q.units is not None:
        return "game"
    if provider in ("GOOGLE PLAY",):
        return "voucher"
    if provider == "NETFLIX":
        return "other"
    # "top up" says e-wallet only when nothing more specific is said ("top up token listrik 50rb")
    strong = [w for w in words if w != "ewallet"]
    specific = strong or (words if provider is None else [])
    if provider in vocab.OPERATORS:
        if q.min_quota_gb is not None or q.min_validity_days is not None:
            return "data"
        specific = [w for w in specific if w in ("pulsa", "data")]
    return specific[0] if specific else None
