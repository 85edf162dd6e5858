"""One clock for the shop: times customers read follow TIMEZONE; Atlantic's own timestamps are
read on Atlantic's clock; no fixed UTC offset is written anywhere in the library."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from shared.config import PROJECT_ROOT
from shared.domain import replies
from shared.domain.supplier import to_time

MOMENT = datetime(2026, 11, 24, 20, 15, tzinfo=timezone.utc)


@pytest.mark.parametrize("zone, shown", [
    ("Asia/Jakarta", "25 Nov 2026 03:15 WIB"),
    ("Asia/Pontianak", "25 Nov 2026 03:15 WIB"),
    ("Asia/Makassar", "25 Nov 2026 04:15 WITA"),
    ("Asia/Jayapura", "25 Nov 2026 05:15 WIT"),
    ("Asia/Singapore", "25 Nov 2026 04:15 +08"),
    ("UTC", "24 Nov 2026 20:15 UTC"),
])
def test_times_are_shown_on_the_shops_clock(zone: str, shown: str) -> None:
    assert replies.local_time(MOMENT, zone) == shown


def test_checkout_and_receipt_use_the_zone_they_are_given() -> None:
    payment = {"ref": "PY12345678", "amount": 10_800, "fee": 300, "fee_payer": "customer", "expires_at": MOMENT,
               "qr_string": "000201", "url": None}
    assert "Berlaku sampai 25 Nov 2026 04:15 WITA." in replies.checkout(payment, purpose="pesanan BJ1",
                                                                         zone="Asia/Makassar")
    order = {"ref": "BJ12345678", "name": "Telkomsel 10.000", "target": "081234567890", "price": 10_500,
             "sn": "SN1", "category": "pulsa", "finished_at": MOMENT}
    assert replies.receipt(order, zone="Asia/Jayapura").endswith("25 Nov 2026 05:15 WIT")


def test_atlantics_zoneless_timestamps_are_jakarta_time() -> None:
    parsed = to_time("2026-11-25 03:15:00")
    assert parsed is not None and parsed.astimezone(timezone.utc) == MOMENT
    assert to_time("2026-11-25T03:15:00+08:00").utcoffset().total_seconds() == 8 * 3600  # a zone given is kept


def test_no_fixed_utc_offset_in_the_library() -> None:
    literal = re.compile(r"timedelta\(\s*hours\s*=\s*[+-]?\d+\s*\)|[+-]0?7:00\b|UTC\+7|hours=7")
    found = [f"{path.relative_to(PROJECT_ROOT)}:{n}" for path in sorted((PROJECT_ROOT / "shared").rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if literal.search(line)]
    assert found == []
