"""Row Level Security and grants: only service_role touches tables and functions."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from shared.adapters.supabase import SupabaseRpc
from shared.errors import StoreError
from tests.helpers import inbound

TABLES = [
    "customers", "conversations", "messages", "outbox", "products", "pricing_rules",
    "orders", "payments", "ledger", "webhook_events",
]
FUNCTIONS = ["begin_turn", "end_turn", "ack_outbox", "post_ledger", "record_event", "mark_event_applied"]


def public_tables(db) -> list[str]:  # type: ignore[no-untyped-def]
    return [r[0] for r in db.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1").fetchall()]


def test_every_table_has_rls_enabled_and_no_policy(db) -> None:
    tables = public_tables(db)
    assert set(TABLES) <= set(tables)
    without_rls = db.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity").fetchall()
    assert without_rls == []
    assert db.execute("select count(*) from pg_policies where schemaname = 'public'").fetchone()[0] == 0


def test_a_non_service_role_reads_no_rows_even_with_select_granted(db, postgres_rpc) -> None:
    from shared.adapters.store import SqlStore

    SqlStore(postgres_rpc).begin_turn(inbound(text="ada isinya"))  # so the tables are not empty
    db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'bjw_test_reader')"
               " then create role bjw_test_reader nologin; end if; end $$")
    for table in TABLES:
        db.execute(sql.SQL("grant select on {} to bjw_test_reader").format(sql.Identifier(table)))
    try:
        for table in ("customers", "conversations", "messages"):
            assert db.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(table))).fetchone()[0] > 0
        with db.transaction():
            db.execute("set local role bjw_test_reader")
            for table in TABLES:
                assert db.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(table))).fetchone()[0] == 0
    finally:
        for table in TABLES:
            db.execute(sql.SQL("revoke select on {} from bjw_test_reader").format(sql.Identifier(table)))


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_anon_and_authenticated_can_neither_read_nor_execute(db, role: str) -> None:
    for table in TABLES:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
            db.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
            db.execute(sql.SQL("select * from {} limit 1").format(sql.Identifier(table)))
    for fn in FUNCTIONS:
        privileged = db.execute(
            "select has_function_privilege(%s, p.oid, 'execute') from pg_proc p"
            " join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public' and p.proname = %s",
            [role, fn]).fetchone()[0]
        assert privileged is False, fn
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.transaction():
        db.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
        db.execute("select public.record_event('test', 'x', '{}')")


def test_public_has_no_execute_and_service_role_has_it(db) -> None:
    rows = db.execute(
        "select p.proname, has_function_privilege('public', p.oid, 'execute'),"
        " has_function_privilege('service_role', p.oid, 'execute')"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname in ('public', 'private') and p.proname <> 'secure_public_schema'").fetchall()
    assert {r[0] for r in rows} >= set(FUNCTIONS)
    assert all(not public and service for _, public, service in rows), rows


def test_anon_key_over_postgrest_is_refused(postgrest) -> None:
    anon = SupabaseRpc(postgrest.url, postgrest.anon_key, timeout=5)
    try:
        with pytest.raises(StoreError) as refused:
            anon.call("record_event", {"p_source": "test", "p_event_key": "anon", "p_payload": {}})
        assert refused.value.sqlstate == "42501"
    finally:
        anon.close()


def test_postgrest_requests_carry_apikey_and_bearer(postgrest, supabase_rpc) -> None:
    before = len(postgrest.requests)
    supabase_rpc.call("record_event", {"p_source": "test", "p_event_key": "headers", "p_payload": {}})
    request = postgrest.requests[before]
    assert request["path"] == "/rest/v1/rpc/record_event"
    assert request["headers"]["apikey"] == postgrest.service_key
    assert request["headers"]["authorization"] == f"Bearer {postgrest.service_key}"


def test_a_wrong_key_is_refused_by_the_gateway(postgrest) -> None:
    bogus = SupabaseRpc(postgrest.url, "not-a-key", timeout=5)
    try:
        with pytest.raises(StoreError, match="Invalid API key"):
            bogus.call("record_event", {"p_source": "test", "p_event_key": "bogus", "p_payload": {}})
    finally:
        bogus.close()
