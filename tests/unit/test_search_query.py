"""Reading product queries: amounts, budgets, units, operators, typos (pure)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shared.domain.search import parse_amount, parse_query


@pytest.mark.parametrize("token, rupiah", [
    ("50rb", 50_000), ("25k", 25_000), ("100.000", 100_000), ("1.000.000", 1_000_000), ("1,5jt", 1_500_000),
    ("1.5jt", 1_500_000), ("2juta", 2_000_000), ("10ribu", 10_000), ("goceng", 5_000), ("ceban", 10_000),
    ("goban", 50_000), ("seceng", 1_000), ("cetiao", 1_000_000), ("5000", 5_000),
])
def test_amounts(token: str, rupiah: int) -> None:
    assert parse_amount(token) == rupiah


@pytest.mark.parametrize("token", ["10", "5m", "10gb", "0812", "abc", "30hari"])
def test_not_amounts(token: str) -> None:
    assert parse_amount(token) is None


def test_quantities_are_not_prices() -> None:
    q = parse_query("beli kuota xl 10gb 30 hari")
    assert (q.category, q.provider, q.min_quota_gb, q.min_validity_days, q.nominal, q.max_price) == \
        ("data", "XL", Decimal(10), 30, None, None)
    assert parse_query("ml 86 diamond").units == 86
    assert parse_query("axis 500mb").min_quota_gb == Decimal("0.5")


@pytest.mark.parametrize("text", ["di bawah 20rb", "budget 20rb", "maks 20rb", "cuma punya 20rb", "max 20k",
                                  "kurang dari 20rb", "ga lebih 20rb"])
def test_budget_phrases_set_a_max_price(text: str) -> None:
    q = parse_query(f"paket tsel {text}")
    assert q.max_price == 20_000 and q.nominal is None


def test_cheapest_first() -> None:
    assert parse_query("paling murah tsel").sort == "price_asc"
    assert parse_query("paket xl yg murah aja").sort == "price_asc"


@pytest.mark.parametrize("word, provider", [
    ("tsel", "TELKOMSEL"), ("simpati", "TELKOMSEL"), ("byu", "TELKOMSEL"), ("isat", "INDOSAT"), ("im3", "INDOSAT"),
    ("three", "TRI"), ("smartfren", "SMARTFREN"), ("ml", "MOBILE LEGENDS"), ("ff", "FREE FIRE"),
    ("listrik", "PLN"), ("spay", "SHOPEEPAY"), ("link aja", "LINKAJA"), ("go pay", "GOPAY"),
])
def test_operator_and_brand_words(word: str, provider: str) -> None:
    assert parse_query(f"{word} 50rb").provider == provider


def test_typos_are_corrected_against_the_vocabulary() -> None:
    q = parse_query("kuta xl 5gb murh aj")
    assert (q.category, q.provider, q.sort) == ("data", "XL", "price_asc")
    assert ("kuta", "kuota") in q.corrections
    q = parse_query("tokn listrk 50rb")
    assert (q.category, q.provider, q.nominal) == ("pln", "PLN", 50_000)
    q = parse_query("pulsa telkomsl 10rb")
    assert q.provider == "TELKOMSEL"


def test_chat_words_are_never_corrected_into_products() -> None:
    q = parse_query("ada yang murah ga kak")
    assert q.provider is None and q.category is None and q.corrections == ()


def test_a_phone_number_gives_the_operator_for_pulsa_and_data_only() -> None:
    assert parse_query("pulsa 20rb ke 0878-1234-5678").provider == "XL"
    assert parse_query("+62 857 1234 5678 paket 30rb").provider == "INDOSAT"
    q = parse_query("dana 20rb ke 08781234567")
    assert (q.provider, q.category, q.target) == ("DANA", "ewallet", "08781234567")


def test_a_bare_small_number_after_pulsa_means_thousands() -> None:
    assert parse_query("pulsa 10").nominal == 10_000
    assert parse_query("paket 10").nominal is None


def test_data_packages_read_an_amount_as_money_to_spend() -> None:
    q = parse_query("paket xl 50rb")
    assert (q.max_price, q.sort, q.nominal) == (50_000, "price_desc", None)


def test_leftover_words_become_terms() -> None:
    q = parse_query("paket smartfren unlimited")
    assert q.terms == ("unlimited",) and q.structured
    assert parse_query("netflix").provider == "NETFLIX"
    assert parse_query("zepeto").terms == ("zepeto",) and not parse_query("zepeto").structured
