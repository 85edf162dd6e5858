"""Settings: every problem in one error, secrets never shown, backends chosen by one rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.config import PROJECT_ROOT, Settings
from shared.errors import ConfigError

SECRETS = ["hunter2-db-password", "AIzaSyA-very-secret-1", "eyJ-service-role-secret", "upstash-token-secret"]

BROKEN_ENV = f"""
DATABASE_URL=mysql://root:{SECRETS[0]}@db/x
DB_POOL_MAX_SIZE=lots
GEMINI_API_KEYS=proj-a:{SECRETS[1]},bad project:AIzaSyB-other-secret
SUPABASE_SERVICE_ROLE_KEY={SECRETS[2]}
LOG_LEVEL=verbose
ADMIN_WA_IDS=6281234567890,abc
UPSTASH_REDIS_REST_TOKEN={SECRETS[3]}
APP_ENV=production
KV_TIMEOUT_SECONDS=-1
"""


def load(**values) -> Settings:  # type: ignore[no-untyped-def]
    return Settings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own variables must not leak into these tests."""
    for name in list(os.environ):
        if name.lower() in Settings.model_fields:
            monkeypatch.delenv(name)


def test_defaults_need_no_credentials_and_choose_embedded_backends() -> None:
    settings = load()
    assert settings.db_backend().kind == "embedded"
    assert settings.kv_backend().kind == "embedded"
    assert settings.gemini_api_keys == ()


def test_a_broken_env_file_lists_every_problem_and_no_secret(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(BROKEN_ENV)

    with pytest.raises(ConfigError) as raised:
        Settings(_env_file=env)

    text = str(raised.value)
    for name in ("DATABASE_URL", "DB_POOL_MAX_SIZE", "GEMINI_API_KEYS", "LOG_LEVEL", "ADMIN_WA_IDS",
                 "KV_TIMEOUT_SECONDS", "SUPABASE_URL", "UPSTASH_REDIS_REST_URL", "WHATSAPP_APP_SECRET",
                 "ATLANTIC_API_KEY"):
        assert name in text, name
    for secret in SECRETS:
        assert secret not in text
    assert "root" not in text  # nothing of the URL's content
    assert len(raised.value.problems) == 11


def test_python_c_settings_prints_one_readable_error(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(BROKEN_ENV)
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    run = subprocess.run([sys.executable, "-c", "from shared.config import Settings; Settings()"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)

    assert run.returncode == 1
    assert run.stderr.count("configuration problem(s)") == 1
    assert "11 configuration problem(s)" in run.stderr
    assert "DB_POOL_MAX_SIZE: must be a whole number" in run.stderr
    for secret in SECRETS:
        assert secret not in run.stderr + run.stdout


def test_secrets_never_show_in_repr() -> None:
    settings = load(database_url=f"postgresql://u:{SECRETS[0]}@h/db", gemini_api_keys=f"p1:{SECRETS[1]}",
                    supabase_url="https://x.supabase.co", supabase_service_role_key=SECRETS[2])
    text = repr(settings) + str(settings) + repr(settings.gemini_api_keys)
    for secret in SECRETS[:3]:
        assert secret not in text
    assert settings.database_url.get_secret_value().endswith("@h/db")


def test_gemini_keys_are_grouped_by_project() -> None:
    settings = load(gemini_api_keys="proj-a:AAAAAAAAAA1, proj-a:AAAAAAAAAA2 ,BBBBBBBBBB3,proj-b:CCCCCCCCCC4")
    assert [(k.project, k.key.get_secret_value()) for k in settings.gemini_api_keys] == [
        ("proj-a", "AAAAAAAAAA1"), ("proj-a", "AAAAAAAAAA2"), ("key3", "BBBBBBBBBB3"), ("proj-b", "CCCCCCCCCC4")]


def test_lists_from_the_environment_are_comma_separated_not_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_WA_IDS", "+62 812-3456-7890, 081398765432")
    monkeypatch.setenv("GEMINI_API_KEYS", "AAAAAAAAAA1")
    settings = load()
    assert settings.admin_wa_ids == ("6281234567890", "6281398765432")
    assert len(settings.gemini_api_keys) == 1


def test_backend_rule() -> None:
    supa = dict(supabase_url="https://p.supabase.co", supabase_service_role_key="k" * 20)
    pg = dict(database_url="postgresql://postgres@127.0.0.1/x")
    assert load(**supa, **pg).db_backend().kind == "supabase"
    assert load(**supa, **pg, db_transport="postgres").db_backend().kind == "postgres"
    assert load(**pg).db_backend().kind == "postgres"
    assert load(**supa).migration_backend().kind == "embedded"
    assert load(**supa, **pg).migration_backend().kind == "postgres"
    assert load(redis_url="redis://127.0.0.1:6379/0").kv_backend().kind == "redis"
    assert load(redis_url="redis://127.0.0.1:6379/0", upstash_redis_rest_url="https://u.upstash.io",
                upstash_redis_rest_token="t" * 20).kv_backend().kind == "upstash"


def test_contradictions_are_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        load(db_transport="supabase", db_pool_min_size=5, db_pool_max_size=2,
             whatsapp_token="x" * 20, media_bucket="bjw-media")
    problems = "\n".join(raised.value.problems)
    assert "DB_TRANSPORT" in problems and "DB_POOL_MIN_SIZE" in problems
    assert "WHATSAPP_PHONE_ID" in problems and "GCP_PROJECT" in problems


def test_production_refuses_embedded_backends_and_the_sandbox() -> None:
    real = dict(whatsapp_app_secret="s" * 20, redis_url="redis://r:6379/0", atlantic_api_key="a" * 20,
                atlantic_username="tokobudi", admin_wa_ids="6281234567890")
    with pytest.raises(ConfigError, match="embedded Postgres is for local runs"):
        load(app_env="production", **real)
    with pytest.raises(ConfigError, match="the sandbox sells nothing real"):
        load(app_env="production", **{**real, "atlantic_api_key": None, "atlantic_username": None},
             database_url="postgresql://u@h/db")
    ok = load(app_env="production", database_url="postgresql://u@h/db", **real)
    assert ok.db_backend().kind == "postgres" and ok.supplier_backend().kind == "atlantic"


def test_env_example_lists_every_setting() -> None:
    example = (PROJECT_ROOT / ".env.example").read_text()
    names = {line.split("=", 1)[0].strip() for line in example.splitlines()
             if "=" in line and not line.lstrip().startswith("#")}
    from bridge.settings import BridgeSettings  # the bridge reads the same .env (docs/bridge.md)

    assert names == {name.upper() for name in Settings.model_fields} | {n.upper() for n in BridgeSettings.model_fields}
    comments = example.split("\n")
    for i, line in enumerate(comments):
        if "=" in line and not line.startswith("#"):
            assert comments[i - 1].startswith("#"), f"{line.split('=')[0]} has no comment above it"
    values = {line.split("=", 1)[0].lower(): line.split("=", 1)[1] for line in comments
              if "=" in line and not line.startswith("#") and line.split("=", 1)[1]}
    Settings(_env_file=None, **{k: v for k, v in values.items() if k in Settings.model_fields})
    BridgeSettings(_env_file=None, bridge_webhook_url="http://127.0.0.1:8081/", whatsapp_app_secret="s",
                   whatsapp_token="t", **{k: v for k, v in values.items() if k in BridgeSettings.model_fields})


def test_money_limits_have_upper_bounds() -> None:
    """Issue "ready for real traffic" defect 9: no money setting is unbounded."""
    with pytest.raises(ConfigError) as raised:
        load(deposit_max_amount=10**30, deposit_min_amount=10**12, low_balance_threshold=10**20,
             sandbox_balance=10**20)
    problems = "\n".join(raised.value.problems)
    for name in ("DEPOSIT_MAX_AMOUNT", "DEPOSIT_MIN_AMOUNT", "LOW_BALANCE_THRESHOLD", "SANDBOX_BALANCE"):
        assert name in problems, name


def test_unsafe_or_contradictory_settings_are_all_in_the_one_error() -> None:
    """Defect 9: http:// where a secret travels, nobody to escalate to, escalation before the notice."""
    with pytest.raises(ConfigError) as raised:
        load(app_env="production", database_url="postgresql://u@h/db", redis_url="redis://r:6379/0",
             atlantic_api_key="a" * 20, atlantic_username="tokobudi", whatsapp_app_secret="s" * 20,
             atlantic_base_url="http://atlantich2h.com", supabase_url="http://p.supabase.co",
             supabase_service_role_key="k" * 40, upstash_redis_rest_url="http://u.upstash.io",
             upstash_redis_rest_token="t" * 20, pending_notice_seconds=600, escalate_after_seconds=300)
    problems = "\n".join(raised.value.problems)
    assert "ATLANTIC_BASE_URL: must be https:// in production" in problems
    assert "SUPABASE_URL: must be https:// in production" in problems
    assert "UPSTASH_REDIS_REST_URL: must be https:// in production" in problems
    assert "ADMIN_WA_IDS: is required in production" in problems
    assert "ESCALATE_AFTER_SECONDS: must be longer than PENDING_NOTICE_SECONDS" in problems
    assert len(raised.value.problems) == 5
    local = load(atlantic_base_url="http://127.0.0.1:8099")  # a local sandbox over http is fine
    assert local.atlantic_base_url.startswith("http://")


def test_a_lease_shorter_than_the_longest_wait_of_a_turn_is_refused() -> None:
    """Defect 8: three 15 s reads with backoff (46.5 s) plus the margin do not fit a 30 s lease."""
    with pytest.raises(ConfigError) as raised:
        load(turn_lease_seconds=30)
    assert any(p.startswith("TURN_LEASE_SECONDS: must be at least 57") for p in raised.value.problems)
    with pytest.raises(ConfigError, match="at least 70"):
        load(gemini_timeout_seconds=60, turn_lease_seconds=60)
    assert load(turn_lease_seconds=57).turn_lease_seconds == 57
    assert load(atlantic_timeout_seconds=5, atlantic_read_retries=1, turn_lease_seconds=30).turn_lease_seconds == 30
