-- Roles and the lock-down helper every later migration ends with.
--
-- LOCK ORDER. Every SQL function that takes more than one row lock takes them in this order, so no
-- two of them can wait on each other (a deadlock needs two transactions locking in opposite orders):
--
--   1. outbox rows being acknowledged, by id, then their message rows   (private.apply_outbox_acks,
--      which runs first in begin_turn / end_turn / ack_outbox)
--   2. customers: FOR NO KEY UPDATE, several by id                     (always the first lock after 1)
--   3. the customer's conversation
--   4. payments, by id
--   5. orders, by ref
--   6. new rows: messages, outbox, ledger, webhook_events              (inserts; their foreign keys
--      take FOR KEY SHARE on rows of 2-5, which FOR NO KEY UPDATE does not block)
--
-- A function that starts from a payment, an order or a conversation first reads its customer_id
-- without a lock (it never changes), locks the customer, then reads the row again under its lock.
-- Sweeps that touch many customers' rows (expire_quotes, the claim_* functions, claim_outbox,
-- claim_stale_turns) never wait: they lock with SKIP LOCKED and leave busy rows for the next pass.
-- A function that takes a single row lock (attach_deposit, start_processing, record_submission,
-- extend_lease, claim_job, mark_event_applied) cannot be part of a cycle. docs/database.md has the
-- same rule; a deadlock or serialization failure that still happens is retried by the transports.
--
-- Supabase ships the roles anon, authenticated and service_role. A plain Postgres 15/16 does not,
-- so they are created here when missing (service_role bypasses RLS, as on Supabase). Only
-- service_role may touch our tables and functions; anon and authenticated get nothing, and RLS is
-- enabled on every table with no policy, so even a stray grant would show them no rows.

do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

grant usage on schema public to service_role;

-- Functions created from now on in public are not executable by PUBLIC by default.
alter default privileges in schema public revoke execute on functions from public;

create schema if not exists private;
revoke all on schema private from public, anon, authenticated;
grant usage on schema private to service_role;
comment on schema private is 'Helpers for migrations and triggers; never exposed over PostgREST.';

-- Enable RLS on every table in public, revoke everything from PUBLIC/anon/authenticated, and grant
-- service_role what it needs; the same for the functions in public and in private (helpers that
-- public functions and triggers call). Idempotent; objects owned by extensions are left alone.
create or replace function private.secure_public_schema() returns void
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  r record;
begin
  for r in
    select c.oid::regclass as rel, c.relkind
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public'
       and c.relkind in ('r', 'p', 'S', 'v', 'm')
       and not exists (select from pg_depend d where d.objid = c.oid and d.deptype = 'e')
  loop
    execute format('revoke all on %s from public, anon, authenticated', r.rel);
    if r.relkind in ('r', 'p') then
      execute format('alter table %s enable row level security', r.rel);
      execute format('grant select, insert, update, delete on %s to service_role', r.rel);
    elsif r.relkind = 'S' then
      execute format('grant usage, select on sequence %s to service_role', r.rel);
    else
      execute format('grant select on %s to service_role', r.rel);
    end if;
  end loop;

  for r in
    select p.oid::regprocedure as fn
      from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('public', 'private')
       and p.oid <> 'private.secure_public_schema()'::regprocedure
       and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
  loop
    execute format('revoke all on function %s from public, anon, authenticated', r.fn);
    execute format('grant execute on function %s to service_role', r.fn);
  end loop;
end
$$;

revoke all on function private.secure_public_schema() from public;
