"""record_event / mark_event_applied: an external event is stored once per (source, key)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from shared.errors import InvalidArgument, NotFound


def test_an_event_is_recorded_once_and_replays_return_it(store, db) -> None:
    key = f"trx:{uuid.uuid4().hex}:success"
    first = store.record_event("atlantic", key, {"status": "success", "id": "Xy7Qa21bCdE9fGh0JkLm"})
    again = store.record_event("atlantic", key, {"status": "forged"})

    assert first.created and not again.created
    assert again.id == first.id
    assert again.payload == {"status": "success", "id": "Xy7Qa21bCdE9fGh0JkLm"}  # the first body is kept
    assert db.execute("select count(*) from webhook_events where event_key = %s", [key]).fetchone()[0] == 1


def test_concurrent_deliveries_record_one_event(store, db) -> None:
    key = f"dep:{uuid.uuid4().hex}"
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: store.record_event("atlantic", key, {}), range(6)))
    assert sum(r.created for r in results) == 1
    assert len({r.id for r in results}) == 1


def test_applied_marks_are_kept_and_failures_counted(store) -> None:
    key = f"trx:{uuid.uuid4().hex}"
    event = store.record_event("atlantic", key, {})
    assert event.applied_at is None and event.attempts == 0

    store.mark_event_applied(event.id, error="atlantic timeout")
    after_failure = store.record_event("atlantic", key, {})
    assert after_failure.applied_at is None and after_failure.attempts == 1

    store.mark_event_applied(event.id)
    replay = store.record_event("atlantic", key, {})
    assert replay.applied_at is not None and replay.attempts == 2
    assert not replay.created


def test_unknown_event_and_bad_source_are_refused(store) -> None:
    with pytest.raises(NotFound):
        store.mark_event_applied(10**12)
    with pytest.raises(InvalidArgument):
        store.record_event("Atlantic Webhook!", "k", {})
