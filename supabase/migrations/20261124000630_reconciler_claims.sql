-- The reconciler's claims: each row goes to one reconciler at a time (FOR UPDATE SKIP LOCKED, and
-- a lease in next_check_at where the work may be retried). One function per kind of work, so each
-- WHERE is a plain predicate an index serves:
--   claim_payments         pending checkouts to poll at Atlantic (leased)
--   claim_submissions      paid orders to submit, processing ones without an Atlantic id to resubmit (leased)
--   claim_checks           processing orders to ask Atlantic about (leased)
--   claim_pending_notices  processing orders whose customer is told "masih diproses" (once)
--   claim_escalations      processing orders handed to the admins (once)
--   claim_rechecks         finished orders of the last p_window seconds, re-checked once (reversals)
--   claim_events           Atlantic callbacks that could not be verified yet (leased)
-- and claim_job for periodic work (catalog sync, alerts).

create table public.jobs (
  name         text primary key,
  last_run_at  timestamptz not null default '-infinity'
);
comment on table public.jobs is 'Periodic work claimed by one reconciler at a time (catalog sync, alerts).';

create function public.claim_payments(p_limit integer default 50, p_lease_seconds integer default 60,
                                      p_min_age integer default 30) returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select id from public.payments
     where status = 'pending' and atlantic_id is not null and created_at <= now() - make_interval(secs => p_min_age)
       and (next_check_at is null or next_check_at <= now())
     order by created_at limit p_limit for update skip locked
  ), claimed as (
    update public.payments p set next_check_at = now() + make_interval(secs => p_lease_seconds)
      from due where p.id = due.id returning p.*
  )
  select coalesce(jsonb_agg(private.payment_json(c) order by c.created_at), '[]'::jsonb) from claimed c
$$;

create function public.claim_submissions(p_limit integer default 50, p_lease_seconds integer default 60,
                                         p_min_age integer default 30) returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select id from public.orders
     where (status = 'paid'
            or (status = 'processing' and atlantic_id is null
                and last_submit_at <= now() - make_interval(secs => p_min_age)))
       and (next_check_at is null or next_check_at <= now())
     order by updated_at limit p_limit for update skip locked
  ), claimed as (
    update public.orders o set next_check_at = now() + make_interval(secs => p_lease_seconds)
      from due where o.id = due.id returning o.*
  )
  select coalesce(jsonb_agg(private.order_json(c) order by c.updated_at), '[]'::jsonb) from claimed c
$$;

create function public.claim_checks(p_limit integer default 50, p_lease_seconds integer default 60,
                                    p_min_age integer default 30) returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select id from public.orders
     where status = 'processing' and atlantic_id is not null
       and processing_at <= now() - make_interval(secs => p_min_age)
       and (next_check_at is null or next_check_at <= now())
     order by updated_at limit p_limit for update skip locked
  ), claimed as (
    update public.orders o set next_check_at = now() + make_interval(secs => p_lease_seconds)
      from due where o.id = due.id returning o.*
  )
  select coalesce(jsonb_agg(private.order_json(c) order by c.updated_at), '[]'::jsonb) from claimed c
$$;

create function public.claim_pending_notices(p_limit integer default 50, p_min_age integer default 30)
returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select id from public.orders
     where status = 'processing' and notified_pending_at is null
       and processing_at <= now() - make_interval(secs => p_min_age)
     order by updated_at limit p_limit for update skip locked
  ), claimed as (
    update public.orders o set notified_pending_at = now() from due where o.id = due.id returning o.*
  )
  select coalesce(jsonb_agg(private.order_json(c) order by c.updated_at), '[]'::jsonb) from claimed c
$$;

create function public.claim_escalations(p_limit integer default 50, p_min_age integer default 30)
returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select id from public.orders
     where status = 'processing' and escalated_at is null
       and processing_at <= now() - make_interval(secs => p_min_age)
     order by updated_at limit p_limit for update skip locked
  ), claimed as (
    update public.orders o set escalated_at = now() from due where o.id = due.id returning o.*
  )
  select coalesce(jsonb_agg(private.order_json(c) order by c.updated_at), '[]'::jsonb) from claimed c
$$;

create function public.claim_rechecks(p_limit integer default 50, p_min_age integer default 30,
                                      p_window integer default 86400) returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select id from public.orders
     where status in ('success', 'refunded') and rechecked_at is null and atlantic_id is not null
       and finished_at > now() - make_interval(secs => p_window)
       and finished_at <= now() - make_interval(secs => p_min_age)
     order by finished_at limit p_limit for update skip locked
  ), claimed as (
    update public.orders o set rechecked_at = now() from due where o.id = due.id returning o.*
  )
  select coalesce(jsonb_agg(private.order_json(c) order by c.finished_at), '[]'::jsonb) from claimed c
$$;

create function public.claim_events(p_limit integer default 50, p_lease_seconds integer default 60,
                                    p_min_age integer default 30, p_window integer default 86400) returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select id from public.webhook_events
     where source = 'atlantic' and applied_at is null and attempts < 20
       and received_at > now() - make_interval(secs => p_window)
       and received_at <= now() - make_interval(secs => p_min_age)
       and (next_check_at is null or next_check_at <= now())
     order by received_at limit p_limit for update skip locked
  ), claimed as (
    update public.webhook_events e set next_check_at = now() + make_interval(secs => p_lease_seconds)
      from due where e.id = due.id returning e.*
  )
  select coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'payload', c.payload, 'attempts', c.attempts)
                            order by c.received_at), '[]'::jsonb) from claimed c
$$;

create function public.claim_job(p_name text, p_every_seconds integer) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_claimed boolean;
begin
  insert into public.jobs (name) values (p_name) on conflict do nothing;
  update public.jobs set last_run_at = now()
   where name = p_name and last_run_at <= now() - make_interval(secs => p_every_seconds);
  v_claimed := found;
  return jsonb_build_object('claimed', v_claimed);
end
$$;

select private.secure_public_schema();
