"""Money rules (pure): Atlantic's fee formula, charging so the fee is covered, who carries it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.money import rupiah
from shared.domain.orders import gross_for_net, plan_checkout, method_fee
from shared.domain.replies import format_sn
from shared.services.callbacks import signature_ok


def test_the_reference_fee_examples() -> None:
    assert method_fee(2_265, 200, "0.7") == 216
    assert method_fee(10_000, 200, "0.7") == 270
    assert method_fee(25_514, 0, "2.1") == 536


@settings(max_examples=200, deadline=None)
@given(net=st.integers(min_value=500, max_value=10_000_000),
       flat=st.integers(min_value=0, max_value=500),
       percent=st.sampled_from(["0", "0.7", "1.4", "1.5", "1.65", "2.1"]))
def test_gross_for_net_covers_the_fee_with_nothing_to_spare(net: int, flat: int, percent: str) -> None:
    amount, fee = gross_for_net(net, flat, percent)
    assert fee == method_fee(amount, flat, percent)
    assert amount - fee >= net
    assert (amount - 1) - method_fee(amount - 1, flat, percent) < net  # the smallest such amount


def test_the_seller_pays_the_fee_only_while_the_margin_covers_it() -> None:
    cheap = plan_checkout(10_800, 725, 200, Decimal("0.7"), "seller")
    assert (cheap.fee_payer, cheap.amount) == ("seller", 10_800)
    thin = plan_checkout(10_800, 100, 200, Decimal("0.7"), "seller")  # a fee of 276 would eat the margin
    assert thin.fee_payer == "customer" and thin.amount - thin.fee >= 10_800
    customer = plan_checkout(10_800, 725, 200, Decimal("0.7"), "customer")
    assert customer.fee_payer == "customer" and customer.amount - customer.fee >= 10_800


def test_pln_tokens_read_in_groups_of_four() -> None:
    assert format_sn("13037441446295158651", "pln") == "1303-7441-4462-9515-8651"
    assert format_sn("RB2511011000123", "pulsa") == "RB2511011000123"
    assert rupiah(1_250_000) == "Rp1.250.000" and rupiah(-2_500) == "-Rp2.500"


@pytest.mark.parametrize("header, ok", [
    ("93bc63e0b4f48fbbff568d9fc0dc3def", True), ("93BC63E0B4F48FBBFF568D9FC0DC3DEF", True),
    (" 93bc63e0b4f48fbbff568d9fc0dc3def ", True), ("0" * 32, False), ("", False), (None, False),
])
def test_callback_signature_is_md5_of_the_username(header: str | None, ok: bool) -> None:
    assert signature_ok(header, "sandbox") is ok
