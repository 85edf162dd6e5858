"""The bridge's settings: required ones stop it at start with one clear error; $PORT wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.settings import BridgeSettings
from shared.config import PROJECT_ROOT
from shared.errors import ConfigError


def test_missing_required_settings_stop_the_bridge_with_one_error_naming_them_all(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "WHATSAPP_")) and k != "PORT"}
    env["PYTHONPATH"] = f"{PROJECT_ROOT}{os.pathsep}{PROJECT_ROOT / 'infra' / 'bridge'}"
    done = subprocess.run([sys.executable, "-m", "bridge"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "3 configuration problem(s)" in done.stderr
    for name in ("BRIDGE_WEBHOOK_URL: is required", "WHATSAPP_APP_SECRET: is required", "WHATSAPP_TOKEN: is required"):
        assert name in done.stderr
    assert "Traceback" not in done.stderr


def test_port_wins_over_bridge_port_and_bad_values_are_named() -> None:
    base = dict(bridge_webhook_url="http://127.0.0.1:8081/", whatsapp_app_secret="s", whatsapp_token="t")
    assert BridgeSettings(_env_file=None, **base).listen_port == 8090
    assert BridgeSettings(_env_file=None, **base, bridge_port=9000, port=8080).listen_port == 8080
    with pytest.raises(ConfigError) as bad:
        BridgeSettings(_env_file=None, **base | {"bridge_webhook_url": "ftp://x"}, bridge_session="baileys",
                       bridge_admin_wa_ids="0812,abc")
    text = str(bad.value)
    assert "BRIDGE_WEBHOOK_URL" in text and "BRIDGE_SESSION" in text and "BRIDGE_ADMIN_WA_IDS" in text
    assert "secret" not in text.lower().replace("whatsapp_app_secret", "")
