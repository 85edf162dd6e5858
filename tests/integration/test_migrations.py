"""The migration runner: in order, once, recorded where the Supabase CLI records them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import psycopg

from shared.adapters.migrations import MIGRATIONS_DIR, discover, migrate
from shared.config import PROJECT_ROOT


def test_files_follow_supabase_cli_naming() -> None:
    found = discover()
    assert [m.path.name for m in found] == sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))
    assert all(len(m.version) == 14 for m in found)
    assert (PROJECT_ROOT / "supabase" / "seed.sql").exists()
    assert (PROJECT_ROOT / "supabase" / "config.toml").exists()


def test_cli_migrate_twice_applies_nothing_the_second_time(fresh_database, tmp_path) -> None:
    url = fresh_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPABASE_", "DB_", "REDIS_", "UPSTASH_"))}
    env.update(DATABASE_URL=url, PYTHONPATH=str(PROJECT_ROOT))
    run = lambda: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "shared", "migrate"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120)

    first, second = run(), run()

    assert first.returncode == 0, first.stderr
    assert f"{len(discover())} migration(s) applied" in first.stdout
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "nothing to apply: the database is up to date"
    with psycopg.connect(url) as conn:
        rows = conn.execute("select version, name, statements from supabase_migrations.schema_migrations"
                            " order by version").fetchall()
        assert [r[0] for r in rows] == [m.version for m in discover()]
        assert all(r[2] and r[2][0].strip() for r in rows)
        # seed.sql is never applied by the runner: only the migration's default pricing rule is there
        assert conn.execute("select category, provider from pricing_rules").fetchall() == [(None, None)]


def test_concurrent_runners_apply_each_file_once(fresh_database) -> None:
    url = fresh_database()
    applied: list[list[str]] = []

    def run() -> None:
        applied.append([m.version for m in migrate(url)])

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(len(a) for a in applied) == [0, 0, len(discover())]
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from supabase_migrations.schema_migrations").fetchone()[0] == len(discover())
