"""Apply ``supabase/migrations/<timestamp>_<name>.sql`` over a Postgres connection.

The same bookkeeping as the Supabase CLI: applied versions are rows of
``supabase_migrations.schema_migrations`` (version, name, statements), so ``supabase db push`` and
this runner agree on what is applied. Each file runs in its own transaction; the whole run holds
a session advisory lock, so two runners at once apply each file exactly once. ``seed.sql`` is
never applied. Needs a session connection (direct, or the Supabase *session* pooler): the
transaction pooler cannot hold an advisory lock across statements.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from shared.adapters.postgres import connection_kwargs, translate
from shared.config import PROJECT_ROOT

log = logging.getLogger(__name__)

MIGRATIONS_DIR = PROJECT_ROOT / "supabase" / "migrations"
_FILE = re.compile(r"^(?P<version>\d{14})_(?P<name>[A-Za-z0-9_\-]+)\.sql$")
_LOCK_KEY = 0x626A775F6D6967  # "bjw_mig": an arbitrary constant shared by every runner


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def discover(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order. Other ``.sql`` files are skipped with a warning."""
    found: dict[str, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            log.warning("skipping %s: not named <14-digit timestamp>_<name>.sql", path.name)
            continue
        version = match["version"]
        if version in found:
            raise ValueError(f"two migrations share version {version}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version, match["name"], path)
    return [found[v] for v in sorted(found)]


def migrate(conninfo: str, folder: Path = MIGRATIONS_DIR, *, connect_timeout: float = 10.0) -> list[Migration]:
    """Apply every migration not yet recorded; return the ones applied now (empty when current)."""
    import psycopg

    migrations = discover(folder)
    applied_now: list[Migration] = []
    try:
        with psycopg.connect(conninfo, **connection_kwargs(connect_timeout)) as conn:
            conn.execute("select pg_advisory_lock(%s)", [_LOCK_KEY])
            try:
                conn.execute(
                    "create schema if not exists supabase_migrations;"
                    "create table if not exists supabase_migrations.schema_migrations"
                    " (version text not null primary key, statements text[], name text)"
                )
                done = {
                    row[0]
                    for row in conn.execute("select version from supabase_migrations.schema_migrations")
                }
                for unknown in sorted(done - {m.version for m in migrations}):
                    log.warning("the database has migration %s, which is not in %s", unknown, folder)
                for m in migrations:
                    if m.version in done:
                        continue
                    sql = m.sql
                    log.info("applying migration %s_%s", m.version, m.name)
                    with conn.transaction():
                        try:
                            conn.execute(sql)
                        except psycopg.Error:
                            log.error("migration %s failed; nothing of it was applied", m.path.name)
                            raise
                        conn.execute(
                            "insert into supabase_migrations.schema_migrations (version, name, statements)"
                            " values (%s, %s, %s)",
                            [m.version, m.name, [sql]],
                        )
                    applied_now.append(m)
            finally:
                if not conn.closed:
                    conn.execute("select pg_advisory_unlock(%s)", [_LOCK_KEY])
    except psycopg.Error as exc:
        raise translate(exc) from exc
    return applied_now
