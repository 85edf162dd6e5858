"""The request frame's transitions (pure): what a message refines, corrects, adds or replaces."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain import frame as frames
from shared.domain.frame import FRAME_TTL_SECONDS, Frame, Item, Product, Said
from shared.domain.nlu import requests, said_by, understand
from shared.domain.state import ConversationState

pytestmark = pytest.mark.unit

ISAT_10GB = Product("I_D4", "Indosat Freedom Internet 10 GB 30 Hari", 49_900, "data", "INDOSAT", quota_gb=10.0,
                    validity_days=30)
XL_20K = Product("X20", "XL 20.000", 21_100, "pulsa", "XL", nominal=20_000)


def said(text: str) -> Said:
    return said_by(understand(text), text=text)


def run(*texts: str, start: Frame | None = None) -> tuple[Frame, list[str]]:
    frame, seen = start or Frame(), []
    for i, text in enumerate(texts):
        frame, transition = frames.merge(frame, said(text), now=100.0 + i)
        seen.append(transition)
    return frame, seen


def test_a_request_is_built_across_messages() -> None:
    frame, seen = run("paket data", "indosat", "yang 10 giga", "085712345678")
    assert seen == ["new", "refine", "refine", "refine"]
    item = frame.current
    assert (item.category, item.provider, item.quota_gb, item.target) == ("data", "INDOSAT", 10.0, "085712345678")
    assert frames.next_step(frame)[0] == "resolve"


def test_a_correction_drops_the_product_resolved_from_the_old_values() -> None:
    start = Frame(items=(Item(category="pulsa", provider="XL", nominal=20_000, product=XL_20K,
                              target="087812345678"),), at=1.0)
    assert frames.next_step(start)[0] == "quote"
    frame, seen = run("ganti jadi 100 ribu aja", start=start)
    assert seen == ["correct"]
    assert frame.current.nominal == 100_000 and frame.current.product is None
    assert frame.current.target == "087812345678"  # the number stays
    frame, seen = run("eh yang indosat", start=start)
    assert seen == ["correct"] and frame.current.provider == "INDOSAT" and frame.current.nominal == 20_000


def test_another_kind_of_product_replaces_the_request_and_keeps_a_number_of_the_same_kind() -> None:
    start = Frame(items=(Item(category="pulsa", nominal=20_000, target="081234567890"),), at=1.0)
    frame, seen = run("paket data aja", start=start)
    assert seen == ["new"] and frame.current.category == "data" and frame.current.target == "081234567890"
    frame, seen = run("token listrik 50rb", start=start)
    assert seen == ["new"] and frame.current.category == "pln" and frame.current.target is None


def test_the_operator_of_a_number_is_a_hint_not_a_request() -> None:
    s = said("0821 1234 5678")
    assert s.provider is None and s.target == "082112345678"
    picked = Frame(items=(Item(category="data", provider="INDOSAT", product=ISAT_10GB),), at=1.0)
    frame, seen = frames.merge(picked, s, now=2.0)
    assert seen == "refine" and frame.current.product == ISAT_10GB
    step, item = frames.next_step(frame)
    assert step == "mismatch" and frames.phone_operator(item.target) == "TELKOMSEL"


def test_several_requests_in_one_message_keep_their_own_targets() -> None:
    parts = requests("token 20rb ke meter 53211000012 terus pulsa xl 5rb ke nomor 087812345678")
    frame, transition = frames.merge(Frame(), [said_by(u) for u in parts], now=1.0)
    assert transition == "add"
    assert [(i.category, i.nominal, i.target) for i in frame.items] == [
        ("pln", 20_000, "53211000012"), ("pulsa", 5_000, "087812345678")]
    assert frame.items[1].provider == "XL"


def test_more_adds_an_item_instead_of_changing_the_current_one() -> None:
    start = Frame(items=(Item(category="pulsa", provider="XL", nominal=20_000, product=XL_20K,
                              target="087812345678"),), at=1.0)
    frame, transition = frames.merge(start, Said(category="pln", nominal=50_000, more=True), now=2.0)
    assert transition == "add" and len(frame.items) == 2 and frame.items[0].product == XL_20K
    assert frame.current.category == "pln"


def test_a_mobile_legends_zone_joins_its_user_id() -> None:
    ml = Product("ML86", "MOBILELEGEND - 86 Diamond", 23_000, "game", "MOBILE LEGENDS", units=86)
    frame = Frame(items=(Item(category="game", provider="MOBILE LEGENDS", units=86, product=ml,
                              target="12345678|"),), at=1.0)
    assert frames.next_step(frame)[0] == "ask_zone"
    frame, transition = frames.merge(frame, Said(target="2126"), now=2.0)
    assert frame.current.target == "12345678|2126" and frames.next_step(frame)[0] == "quote"


def test_a_frame_expires_and_nothing_said_keeps_it() -> None:
    start = Frame(items=(Item(category="pulsa", nominal=20_000),), at=10.0)
    assert frames.merge(start, Said(), now=11.0) == (start, "keep")
    frame, transition = frames.merge(start, said("indosat"), now=10.0 + FRAME_TTL_SECONDS + 1)
    assert transition == "new" and frame.current.nominal is None and frame.current.provider == "INDOSAT"


def test_pay_from_saldo_said_first_is_kept_for_the_confirmation() -> None:
    frame, transition = frames.merge(Frame(), Said(category="pulsa", nominal=10_000, method="saldo"), now=1.0)
    assert frame.method == "saldo"
    frame, _ = frames.merge(frame, said("0812 3456 7890"), now=2.0)
    assert frame.method == "saldo" and frame.current.target == "081234567890"


def test_state_round_trips_through_json() -> None:
    state = ConversationState(items=[XL_20K], frame=Frame(items=(Item(category="data", quota_gb=10.0,
                                                                      product=ISAT_10GB, target="0857"),),
                                                          method="qris", at=5.0))
    again = ConversationState.load(state.dump())
    assert again.items == [XL_20K] and again.frame == state.frame


def test_state_saved_before_the_frame_keeps_its_pick() -> None:
    old = {"pick": {"code": "X20", "name": "XL 20.000", "price": 21_100, "category": "pulsa", "provider": "XL",
                    "nominal": 20_000, "units": None}, "query": {"category": "pulsa"}}
    state = ConversationState.load(old, now=50.0)
    assert state.frame.current.product == XL_20K and not state.frame.expired(51.0)


aspects = st.fixed_dictionaries({}, optional={
    "category": st.sampled_from(["pulsa", "data", "pln", "ewallet", "game"]),
    "provider": st.sampled_from(["TELKOMSEL", "INDOSAT", "XL", "DANA", "PLN", "MOBILE LEGENDS"]),
    "nominal": st.sampled_from([5_000, 10_000, 20_000, 50_000]),
    "quota_gb": st.sampled_from([1.0, 5.0, 10.0]),
    "validity_days": st.sampled_from([1, 7, 30]),
    "target": st.sampled_from(["081234567890", "085712345678", "53211000012"]),
})


@given(st.lists(aspects, min_size=1, max_size=6))
def test_merging_is_total_and_the_last_word_wins(messages: list[dict]) -> None:
    frame = Frame()
    for i, values in enumerate(messages):
        s = Said(**values)
        frame, transition = frames.merge(frame, s, now=float(i))
        assert transition in ("keep", "new", "refine", "correct", "add")
        current = frame.current
        for name, value in values.items():
            if name == "provider" and values.get("category") is None and current.category is not None \
                    and transition == "new":
                continue
            assert getattr(current, name) == value, (name, values, current)
        assert current.product is None  # only picking a product resolves it
        assert len(frame.items) <= frames.MAX_ITEMS
        step, _ = frames.next_step(frame)
        assert step in ("ask_what", "resolve")
        assert Frame.from_json(frame.as_json()) == frame


S10 = Product("S10", "Telkomsel 10.000", 12_000, "pulsa", "TELKOMSEL", nominal=10_000)
I10 = Product("I10", "Indosat 10.000", 12_800, "pulsa", "INDOSAT", nominal=10_000)


def test_items_are_resolved_then_given_targets_then_checked_one_by_one() -> None:
    frame = Frame(items=(Item(category="pulsa", nominal=10_000, product=S10, target="085712345678"),
                         Item(category="pln", nominal=20_000)), at=1.0)
    step, item = frames.next_step(frame)
    assert step == "resolve" and item.category == "pln"  # every product first
    pln = Product("PLN20", "PLN 20.000", 21_700, "pln", "PLN", nominal=20_000)
    frame = frames.pick(frame, pln, now=2.0)
    assert frame.items[1].product == pln and frame.items[0].product == S10
    step, item = frames.next_step(frame)
    assert step == "ask_target" and item.product == pln
    frame, _ = frames.merge(frame, Said(target="53211000012"), now=3.0)
    step, item = frames.next_step(frame)
    assert step == "mismatch" and item.product == S10  # the Indosat number of the first item
    assert frames.next_step(frame.with_item(item, replace(item, product=I10), now=4.0))[0] == "quote"


def test_a_new_number_re_resolves_a_product_that_only_matched_the_old_numbers_operator() -> None:
    auto = frames.pick(Frame(items=(Item(category="pulsa", nominal=10_000, target="081234567890"),), at=1.0),
                       S10, now=1.0, auto=True)
    frame, transition = frames.merge(auto, Said(target="085712345678"), now=2.0)
    assert transition == "correct" and frame.current.product is None and frame.current.provider is None
    chosen = frames.pick(Frame(items=(Item(category="pulsa", target="081234567890"),), at=1.0), S10, now=1.0)
    frame, _ = frames.merge(chosen, Said(target="085712345678"), now=2.0)
    assert frame.current.product == S10 and frames.next_step(frame)[0] == "mismatch"  # picked: warn, not swap


def test_several_targets_for_one_request_fan_out() -> None:
    frame = Frame(items=(Item(category="pulsa", provider="TELKOMSEL", nominal=10_000, product=S10),), at=1.0)
    frame = frame.fan_out(["081234567890", "081398765432"], now=2.0)
    assert [(i.product, i.target) for i in frame.items] == [(S10, "081234567890"), (S10, "081398765432")]
    assert frames.next_step(frame)[0] == "quote"


def test_confirmed_orders_waiting_for_payment_are_amended_only_on_purpose() -> None:
    waiting = Frame(items=(Item(category="pulsa", provider="TELKOMSEL", nominal=10_000, product=S10,
                                target="081312345678"),), at=1.0, confirmed=True)
    frame, transition = frames.merge(waiting, said("ganti jadi 25rb"), now=2.0)
    assert transition == "correct" and not frame.confirmed and frame.current.nominal == 25_000
    assert frame.current.target == "081312345678"
    frame, transition = frames.merge(waiting, said("pulsa tsel 25rb 081312345678"), now=2.0)
    assert transition == "new" and len(frame.items) == 1 and frame.current.product is None


def test_another_product_said_plainly_while_a_quote_waits_is_added() -> None:
    quoted = Frame(items=(Item(category="pulsa", provider="TELKOMSEL", nominal=5_000, product=S10,
                               target="081311110001"),), at=1.0)
    frame, transition = frames.merge(quoted, said("dana 20rb 081311112222"), now=2.0)
    assert transition == "add" and [i.category for i in frame.items] == ["pulsa", "ewallet"]
    frame, transition = frames.merge(quoted, said("eh dana 20rb aja"), now=2.0)
    assert transition == "new" and [i.category for i in frame.items] == ["ewallet"]


def test_a_number_the_customer_says_is_right_is_quoted_as_it_is() -> None:
    frame = Frame(items=(Item(category="pulsa", provider="INDOSAT", nominal=10_000, product=I10,
                              target="081234567890"),), at=1.0)
    assert frames.next_step(frame)[0] == "mismatch"
    ported = frame.with_item(frame.current, replace(frame.current, ported=True), now=2.0)
    assert frames.next_step(ported)[0] == "quote"
    again, _ = frames.merge(ported, Said(target="081398765432"), now=3.0)
    assert frames.next_step(again)[0] == "mismatch"  # another number is checked again
