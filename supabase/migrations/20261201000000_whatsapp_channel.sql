-- The WhatsApp channel: delivery statuses on the outbox, the 24 h customer-service window, messages
-- the seller types in the WhatsApp Business app (smb_message_echoes), and an outbox sweep that keeps
-- each customer's messages in order.
--
-- Outbox row life: pending --send--> sent --status--> delivered / read
--                                       └─ failed, retryable code --> pending again (resent)
--                                       └─ failed, permanent code --> failed (admins alerted)
--                  pending --send error, retryable--> pending with a backoff, failed after 10 tries
--                  pending --send error, permanent--> failed
--                  pending --outside the 24 h window, no template--> held (released when the customer writes)
-- A row Meta accepted (it has a wamid) is never resent because it was not delivered yet: a phone may
-- simply be off. Locks follow the order of the first migration: outbox rows by id, then customers,
-- then conversations.

alter table public.outbox drop constraint outbox_status_check;
alter table public.outbox add constraint outbox_status_check
  check (status in ('pending', 'sent', 'failed', 'held'));
alter table public.outbox
  add column delivery    text check (delivery in ('sent', 'delivered', 'read', 'failed')),
  add column error_code  integer,
  add column status_at   timestamptz,            -- WhatsApp's timestamp of the latest status
  add column alerted_at  timestamptz;            -- when the admins were told it failed
create index outbox_wamid on public.outbox (wamid) where wamid is not null;
create index outbox_customer_pending on public.outbox (customer_id, id) where status = 'pending';
create index outbox_failed_unalerted on public.outbox (id) where status = 'failed' and alerted_at is null;
comment on column public.outbox.delivery is
  'The latest delivery status WhatsApp reported (sent < delivered < read; failed carries error_code).';

alter table public.customers add column window_closed_at timestamptz;
comment on column public.customers.window_closed_at is
  'When WhatsApp refused a free-form message (131047): the 24 h window is closed until the customer writes again.';

alter table public.conversations add column quiet_until timestamptz;
comment on column public.conversations.quiet_until is
  'The seller answered this customer personally (smb_message_echoes): the bot stays quiet until then.';

-- A row as the sender needs it, with whether a free-form message may reach the customer now.
create or replace function private.outbox_json(p_outbox_id bigint) returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  select jsonb_build_object('id', o.id, 'message_id', m.id, 'kind', m.kind, 'text', m.body, 'payload', m.payload,
                            'wa_id', c.wa_id, 'user_id', c.wa_user_id,
                            'window_open', c.last_seen_at is not null and c.last_seen_at > now() - interval '24 hours'
                                           and (c.window_closed_at is null or c.window_closed_at < c.last_seen_at))
    from public.outbox o join public.messages m on m.id = o.message_id join public.customers c on c.id = o.customer_id
   where o.id = p_outbox_id
$$;

-- Apply send results: [{"outbox_id": 1, "wamid": "wamid.X"}
--                      | {"outbox_id": 2, "error": "...", "code": 131026, "permanent": true}
--                      | {"outbox_id": 3, "error": "...", "hold": true}]
create or replace function private.apply_outbox_acks(p_acks jsonb) returns integer
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_count integer := 0;
  v_n integer;
begin
  if p_acks is null or jsonb_typeof(p_acks) <> 'array' or jsonb_array_length(p_acks) = 0 then
    return 0;
  end if;

  -- lock order 1: the acknowledged outbox rows, by id
  perform 1 from public.outbox
   where id in (select (a ->> 'outbox_id')::bigint from jsonb_array_elements(p_acks) a)
   order by id
   for no key update;

  with acks as (
    select distinct on ((a ->> 'outbox_id')::bigint) (a ->> 'outbox_id')::bigint as outbox_id, a ->> 'wamid' as wamid
      from jsonb_array_elements(p_acks) a
     where a ->> 'wamid' is not null
  ), sent as (
    update public.outbox o
       set status = 'sent', wamid = acks.wamid, sent_at = now(),
           delivery = coalesce(o.delivery, 'sent'),
           attempts = o.attempts + 1, last_error = null, error_code = null
      from acks
     where o.id = acks.outbox_id and o.status <> 'sent'  -- a late ack corrects a row given up as failed
    returning o.message_id, acks.wamid
  )
  update public.messages m set wamid = sent.wamid
    from sent
   where m.id = sent.message_id and m.wamid is null
     and not exists (select from public.messages d where d.wamid = sent.wamid);
  get diagnostics v_n = row_count;
  v_count := v_count + v_n;

  -- A retryable failure stays pending with a growing backoff (30 s, 1 min, 2 min, ... capped at
  -- 1 h) and is marked failed after 10 attempts; a permanent one is failed at once; a message that
  -- may not go out now (outside the 24 h window, no template) is held.
  with fails as (
    select distinct on ((a ->> 'outbox_id')::bigint) (a ->> 'outbox_id')::bigint as outbox_id,
           left(a ->> 'error', 500) as error, (a ->> 'code')::integer as code,
           coalesce((a ->> 'permanent')::boolean, false) as permanent,
           coalesce((a ->> 'hold')::boolean, false) as hold
      from jsonb_array_elements(p_acks) a
     where a ->> 'wamid' is null
  )
  update public.outbox o
     set attempts = o.attempts + 1,
         last_error = fails.error,
         error_code = fails.code,
         status = case when fails.hold then 'held'
                       when fails.permanent or o.attempts + 1 >= 10 then 'failed'
                       else 'pending' end,
         next_attempt_at = now() + least(interval '1 hour', interval '30 seconds' * power(2, o.attempts))
    from fails
   where o.id = fails.outbox_id and o.status = 'pending';
  get diagnostics v_n = row_count;
  return v_count + v_n;
end
$$;

create function private.delivery_rank(p_status text) returns integer
language sql immutable
as $$
  select case p_status when 'sent' then 1 when 'delivered' then 2 when 'read' then 3 else 0 end
$$;

-- Delivery statuses from the webhook: [{"wamid", "outbox_id" (from biz_opaque_callback_data, may be
-- null), "status": "sent"|"delivered"|"read"|"failed", "code", "error", "retry": bool,
-- "closes_window": bool, "at"}]. A status may arrive before this instance's send result was
-- recorded, so a row is found by its outbox id when the message carried it, else by wamid.
create function public.record_statuses(p_statuses jsonb) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_known   integer := 0;
  v_unknown integer := 0;
  v_s       jsonb;
  v_row     public.outbox;
  v_rank    integer;
begin
  if p_statuses is null or jsonb_typeof(p_statuses) <> 'array' then
    raise exception 'p_statuses must be a JSON array' using errcode = 'BJ004';
  end if;

  -- lock order 1: every outbox row named, by id
  perform 1 from public.outbox o
   where o.id in (select (s ->> 'outbox_id')::bigint from jsonb_array_elements(p_statuses) s)
      or o.wamid in (select s ->> 'wamid' from jsonb_array_elements(p_statuses) s)
   order by o.id
   for no key update;

  for v_s in select s from jsonb_array_elements(p_statuses) with ordinality as t(s, n) order by n loop
    select * into v_row from public.outbox
     where (id = (v_s ->> 'outbox_id')::bigint and (wamid is null or wamid = v_s ->> 'wamid'))
        or wamid = v_s ->> 'wamid'
     order by (id = (v_s ->> 'outbox_id')::bigint) desc
     limit 1;
    if not found then
      v_unknown := v_unknown + 1;
      continue;
    end if;
    v_known := v_known + 1;
    v_rank := private.delivery_rank(v_s ->> 'status');

    if v_s ->> 'status' = 'failed' then
      -- once per wamid (Meta may deliver a status twice); retryable ones (rate limits, Meta's own
      -- trouble, a closed window while a template exists) are sent again with a backoff, up to the
      -- same cap as send errors
      update public.outbox
         set delivery = 'failed', error_code = (v_s ->> 'code')::integer, last_error = left(v_s ->> 'error', 500),
             status_at = coalesce((v_s ->> 'at')::timestamptz, now()),
             wamid = coalesce(wamid, v_s ->> 'wamid'),
             status = case when coalesce((v_s ->> 'retry')::boolean, false) and attempts < 10 then 'pending'
                           else 'failed' end,
             next_attempt_at = now() + least(interval '1 hour', interval '30 seconds' * power(2, attempts)),
             attempts = attempts + 1
       where id = v_row.id and v_row.delivery is distinct from 'failed';
    elsif v_rank > 0 then
      -- a status proves Meta accepted the message, even if the send result is still on its way
      update public.outbox
         set wamid = coalesce(wamid, v_s ->> 'wamid'),
             status = case when status in ('pending', 'held') then 'sent' else status end,
             sent_at = coalesce(sent_at, now()),
             delivery = case when delivery = 'failed' or private.delivery_rank(delivery) >= v_rank then delivery
                             else v_s ->> 'status' end,
             status_at = coalesce((v_s ->> 'at')::timestamptz, now())
       where id = v_row.id;
    end if;

    if coalesce((v_s ->> 'closes_window')::boolean, false) then
      update public.customers set window_closed_at = now() where id = v_row.customer_id;
    end if;
  end loop;
  return jsonb_build_object('applied', v_known, 'unknown', v_unknown);
end
$$;

comment on function public.record_statuses is
  'Apply WhatsApp delivery statuses to outbox rows (by outbox id or wamid): progress, failures with their '
  'code (retryable ones are sent again), and a closed 24 h window.';

-- Pending rows old enough that their sender is presumed gone, leased so two sweeps don't send the
-- same row, and in order per customer: a row is claimed only when no earlier row of its customer
-- still waits for its own retry.
create or replace function public.claim_outbox(p_limit integer default 50, p_older_than integer default 60,
                                               p_lease_seconds integer default 120) returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select o.id from public.outbox o
     where o.status = 'pending' and o.next_attempt_at <= now()
       and o.created_at <= now() - make_interval(secs => p_older_than)
       and not exists (select from public.outbox e
                        where e.customer_id = o.customer_id and e.status = 'pending' and e.id < o.id
                          and e.next_attempt_at > now())
     order by o.id limit p_limit for update skip locked
  ), claimed as (
    update public.outbox o set next_attempt_at = now() + make_interval(secs => p_lease_seconds)
      from due where o.id = due.id returning o.id
  )
  select coalesce(jsonb_agg(private.outbox_json(id) order by id), '[]'::jsonb) from claimed
$$;

-- Rows that ended failed and were not reported yet, each once: the reconciler tells the admins.
create function public.claim_failed_outbox(p_limit integer default 50) returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select id from public.outbox where status = 'failed' and alerted_at is null
     order by id limit greatest(1, least(p_limit, 500)) for update skip locked
  ), claimed as (
    update public.outbox o set alerted_at = now() from due where o.id = due.id
    returning o.id, o.error_code, o.last_error, o.attempts
  )
  select coalesce(jsonb_agg(private.outbox_json(c.id)
                            || jsonb_build_object('error_code', c.error_code, 'error', c.last_error,
                                                  'attempts', c.attempts) order by c.id), '[]'::jsonb)
    from claimed c
$$;

-- What every inbound or echoed message must carry: a message id, and a customer known by phone
-- (E.164 digits) and/or business-scoped user id. Refused with BJ004.
create function private.check_message_identity(p_wamid text, p_wa_id text, p_user_id text) returns void
language plpgsql immutable
as $$
begin
  if p_wamid is null or length(p_wamid) = 0 or length(p_wamid) > 200 then
    raise exception 'p_wamid must be 1..200 characters' using errcode = 'BJ004';
  end if;
  if p_wa_id is null and p_user_id is null then
    raise exception 'a customer needs p_wa_id or p_user_id' using errcode = 'BJ004';
  end if;
  if p_wa_id is not null and p_wa_id !~ '^[1-9][0-9]{6,14}$' then
    raise exception 'p_wa_id must be E.164 digits without +' using errcode = 'BJ004';
  end if;
  if p_user_id is not null and length(p_user_id) not between 1 and 128 then
    raise exception 'p_user_id must be 1..128 characters' using errcode = 'BJ004';
  end if;
end
$$;

-- Lock order 2: the customer known by phone and/or user id (the phone match first), created when
-- new; returned locked FOR NO KEY UPDATE for the rest of the caller's transaction.
create function private.lock_customer(p_wa_id text, p_user_id text, p_name text) returns public.customers
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_customer public.customers;
begin
  loop
    select * into v_customer
      from public.customers
     where wa_id = p_wa_id or wa_user_id = p_user_id
     order by (wa_id is not distinct from p_wa_id) desc, id
     limit 1
     for no key update;
    exit when found;
    insert into public.customers (wa_id, wa_user_id, name)
    values (p_wa_id, p_user_id, left(p_name, 200))
    on conflict do nothing;
  end loop;
  return v_customer;
end
$$;

-- A message the seller typed in the WhatsApp Business app (or on the bridge's phone): the shop's
-- own outbound message, not sent by us (no outbox row), and the bot stays quiet for this customer
-- for p_quiet_seconds. Deduped on wamid.
create function public.record_echo(
  p_wamid          text,
  p_wa_id          text default null,
  p_user_id        text default null,
  p_kind           text default 'text',
  p_body           text default null,
  p_payload        jsonb default '{}'::jsonb,
  p_sent_at        timestamptz default null,
  p_quiet_seconds  integer default 1800
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_customer public.customers;
  v_conv     public.conversations;
  v_id       bigint;
begin
  perform private.check_message_identity(p_wamid, p_wa_id, p_user_id);
  if p_quiet_seconds not between 0 and 86400 then
    raise exception 'p_quiet_seconds must be between 0 and 86400' using errcode = 'BJ004';
  end if;
  if exists (select from public.messages where wamid = p_wamid) then
    return jsonb_build_object('status', 'duplicate');
  end if;

  -- lock order 2 then 3: the customer (created when new), then the conversation
  v_customer := private.lock_customer(p_wa_id, p_user_id, null);
  insert into public.conversations as c (customer_id) values (v_customer.id)
  on conflict (customer_id) do update set updated_at = now()
  returning * into v_conv;

  insert into public.messages (conversation_id, direction, wamid, kind, body, payload, sent_at)
  values (v_conv.id, 'out', p_wamid, coalesce(p_kind, 'text'), p_body,
          coalesce(p_payload, '{}'::jsonb) || '{"by": "seller"}'::jsonb, p_sent_at)
  on conflict (wamid) do nothing
  returning id into v_id;
  if v_id is null then
    return jsonb_build_object('status', 'duplicate');
  end if;
  update public.conversations
     set quiet_until = greatest(coalesce(quiet_until, now()), now() + make_interval(secs => p_quiet_seconds))
   where id = v_conv.id;
  return jsonb_build_object('status', 'stored', 'customer_id', v_customer.id, 'message_id', v_id);
end
$$;

comment on function public.record_echo is
  'Store a message the seller typed on the shop''s own WhatsApp as an outbound message, and keep the bot '
  'quiet for that customer for p_quiet_seconds.';

create or replace function public.begin_turn(
  p_wamid          text,
  p_wa_id          text default null,
  p_user_id        text default null,
  p_name           text default null,
  p_kind           text default 'text',
  p_body           text default null,
  p_media_uri      text default null,
  p_payload        jsonb default '{}'::jsonb,
  p_sent_at        timestamptz default null,
  p_lease_seconds  integer default 60,
  p_history_limit  integer default 12,
  p_acks           jsonb default '[]'::jsonb,
  p_timezone       text default 'Asia/Jakarta'
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_customer  public.customers;
  v_conv      public.conversations;
  v_msg_id    bigint;
begin
  perform private.check_message_identity(p_wamid, p_wa_id, p_user_id);
  if p_lease_seconds not between 5 and 900 then
    raise exception 'p_lease_seconds must be between 5 and 900' using errcode = 'BJ004';
  end if;

  -- lock order 1: outbox acks
  perform private.apply_outbox_acks(p_acks);

  -- 1. drop a duplicate delivery (the unique index settles races below)
  if exists (select from public.messages where wamid = p_wamid) then
    return jsonb_build_object('status', 'duplicate');
  end if;

  -- 2. lock order 2: upsert and lock the customer, known by phone and/or business-scoped user id
  v_customer := private.lock_customer(p_wa_id, p_user_id, p_name);

  update public.customers
     set wa_id = coalesce(wa_id, p_wa_id),
         wa_user_id = case when wa_user_id is null
                            and not exists (select from public.customers c2 where c2.wa_user_id = p_user_id)
                           then p_user_id else wa_user_id end,
         name = coalesce(left(p_name, 200), name),
         last_seen_at = now(),
         updated_at = now()
   where id = v_customer.id
  returning * into v_customer;

  -- 3. lock order 3: the conversation, locked for the rest of this call
  insert into public.conversations as c (customer_id) values (v_customer.id)
  on conflict (customer_id) do update set updated_at = now()
  returning * into v_conv;

  -- 4. append the message (handled at once for a blocked customer)
  insert into public.messages (conversation_id, direction, wamid, kind, body, media_uri, payload, sent_at,
                               handled_at)
  values (v_conv.id, 'in', p_wamid, coalesce(p_kind, 'text'), p_body, p_media_uri,
          coalesce(p_payload, '{}'::jsonb), p_sent_at,
          case when v_customer.blocked then now() end)
  on conflict (wamid) do nothing
  returning id into v_msg_id;
  if v_msg_id is null then
    return jsonb_build_object('status', 'duplicate');
  end if;

  if v_customer.blocked then
    return jsonb_build_object('status', 'blocked', 'customer', to_jsonb(v_customer));
  end if;

  -- the customer wrote: the 24 h window is open again, so what waited for it may go out
  update public.outbox set status = 'pending', next_attempt_at = now()
   where customer_id = v_customer.id and status = 'held';

  -- the seller answers this customer personally (smb_message_echoes): stored, and no bot turn
  if v_conv.quiet_until is not null and v_conv.quiet_until > now() then
    update public.messages set handled_at = now() where id = v_msg_id;
    return jsonb_build_object('status', 'quiet', 'conversation_id', v_conv.id);
  end if;

  -- 5. take the lease, or leave the message queued for the turn that holds it
  if v_conv.lease_until is not null and v_conv.lease_until > now() then
    return jsonb_build_object('status', 'queued', 'conversation_id', v_conv.id);
  end if;
  return private.lease_turn(v_customer, v_conv, p_lease_seconds, p_history_limit, p_timezone);
end
$$;

comment on function public.begin_turn is
  'Drop a duplicate wamid, upsert the customer, append the message, release what waited for the 24 h '
  'window, take the conversation lease (or queue the message, or store it only while the seller answers '
  'personally), and return state + what it points at + history + the messages to answer + usage. One round trip.';

select private.secure_public_schema();
